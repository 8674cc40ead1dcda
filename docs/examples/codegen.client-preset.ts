import type { CodegenConfig } from '@graphql-codegen/cli';

/**
 * GraphQL Code Generator's client preset for a frontend app of its own: copy this file to the app's
 * root as codegen.ts and GreenCart's client/schema.graphql beside it (or, with @greencart/client
 * installed, point `schema` at node_modules/@greencart/client/schema.graphql), then run
 * `npx graphql-codegen`. Each graphql(`…`) in src/ gets typed, and src/gql/ holds the output.
 */
const config: CodegenConfig = {
  schema: 'schema.graphql',
  documents: ['src/**/*.{ts,tsx}', '!src/gql/**'],
  ignoreNoDocuments: true,
  generates: {
    'src/gql/': {
      preset: 'client',
      config: {
        // GreenCart's scalars as they travel in JSON: Decimal is a string such as "2.49".
        scalars: { ID: 'string', Decimal: 'string', DateTime: 'string', EmailAddress: 'string' },
        enumsAsTypes: true,
        useTypeImports: true,
        // Relative imports keep their `.js`, which moduleResolution NodeNext needs and Bundler accepts.
        emitLegacyCommonJSImports: false,
      },
    },
  },
};

export default config;
