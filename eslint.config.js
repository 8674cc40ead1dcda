// ESLint for the promise mistakes the type checker lets through: a promise nobody awaits or
// catches (its rejection ends a Node process), a promise where a callback's result is ignored,
// and an await of what is not a promise. Type-aware, through each folder's tsconfig.
import tseslint from 'typescript-eslint';

export default tseslint.config(
  {
    ignores: ['**/node_modules/', '**/dist/', '**/generated/', '**/migrations/', 'scripts/templates/', '.data/', 'results/', 'client/src/generated/'],
  },
  {
    files: ['**/*.{ts,tsx,mts,cts}'],
    languageOptions: {
      parser: tseslint.parser,
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
    plugins: { '@typescript-eslint': tseslint.plugin },
    linterOptions: { reportUnusedDisableDirectives: 'error' },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-misused-promises': 'error',
      '@typescript-eslint/await-thenable': 'error',
    },
  },
);
