import { execFile } from 'node:child_process';
import { copyFile, mkdir, mkdtemp, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { repositoryRoot } from '@greencart/platform';
import { startSupergraph, type TestSupergraph } from './support/supergraph.js';

/**
 * @greencart/client as a frontend team gets it: `npm pack -w client`, installed from the tarball
 * into an app of its own outside the repository, type-checked there with a strict NodeNext
 * tsconfig, and run against a real gateway; and the other way, typed documents of the app's own
 * from the client preset config in docs/examples, generated from the published schema.
 */
interface Outcome {
  code: number;
  output: string;
}

// npm run/npx put npm_config_* (local prefix, workspace, …) in the environment; the app's npm must
// see none of them, or it would act on the repository.
const cleanEnvironment = Object.fromEntries(Object.entries(process.env).filter(([name]) => !/^npm_/i.test(name)));

/** Runs a command to its end (asynchronously: the gateway answers from this process meanwhile). */
function run(command: string, args: string[], cwd: string, env: Record<string, string> = {}): Promise<Outcome> {
  return new Promise((resolve) => {
    execFile(command, args, { cwd, env: { ...cleanEnvironment, ...env }, maxBuffer: 16 * 1024 * 1024, timeout: 120_000 }, (error, stdout, stderr) => {
      resolve({ code: error ? (typeof error.code === 'number' ? error.code : 1) : 0, output: `${stdout}${stderr}` });
    });
  });
}

const npm = (args: string[], cwd: string) => run('npm', args, cwd);
const tsc = (project: string, cwd: string) => run(process.execPath, [join(repositoryRoot, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', project], cwd);

/** Each `error TS…` line of a compile. */
const compileErrors = (outcome: Outcome) => outcome.output.split('\n').filter((line) => /error TS\d+/.test(line));

/** The 1-based line of `text` that holds `marker`. */
const lineOf = (text: string, marker: string) => text.split('\n').findIndex((line) => line.includes(marker)) + 1;

interface LockEntry {
  version: string;
  engines?: Record<string, string>;
  dependencies?: Record<string, string>;
  peerDependencies?: Record<string, string>;
  peerDependenciesMeta?: Record<string, { optional?: boolean }>;
}

/**
 * A lockfile for the app. `npm install --offline` of a tarball alone asks the registry for its
 * dependencies' metadata, which `npm ci` never cached; locked at the versions the repository's
 * lock holds, npm takes each package from the cache by its integrity and asks nothing.
 */
async function offlineLockfile(app: { name: string; dependencies: Record<string, string>; devDependencies: Record<string, string> }, client: LockEntry & { resolved: string }) {
  const repositoryLock = JSON.parse(await readFile(join(repositoryRoot, 'package-lock.json'), 'utf8')) as { packages: Record<string, LockEntry> };
  const packages: Record<string, unknown> = { '': app, 'node_modules/@greencart/client': client };
  const required = (entry: LockEntry) => [...Object.keys(entry.dependencies ?? {}), ...Object.keys(entry.peerDependencies ?? {}).filter((name) => !entry.peerDependenciesMeta?.[name]?.optional)];
  const pending = [...Object.keys(app.dependencies), ...Object.keys(app.devDependencies), ...required(client)].filter((name) => name !== '@greencart/client');
  for (let name = pending.pop(); name !== undefined; name = pending.pop()) {
    if (packages[`node_modules/${name}`]) continue;
    const entry = repositoryLock.packages[`node_modules/${name}`];
    if (!entry) throw new Error(`${name} is not in the repository's package-lock.json`);
    packages[`node_modules/${name}`] = entry;
    pending.push(...required(entry));
  }
  return { name: app.name, lockfileVersion: 3, requires: true, packages };
}

const strictNodeNext = {
  target: 'ES2022',
  lib: ['ES2022'],
  types: ['node'],
  module: 'NodeNext',
  moduleResolution: 'NodeNext',
  strict: true,
  skipLibCheck: false,
  noEmitOnError: true,
  outDir: 'build',
};

let supergraph: TestSupergraph;
let app: string;
let packed: { filename: string; files: Array<{ path: string }> };
let installed: Outcome;

/** The first two products as the gateway answers them. */
const firstTwoProducts = async () =>
  (
    await supergraph.data<{ products: { edges: Array<{ node: { name: string; price: { amount: string; currencyCode: string } } }> } }>(
      '{ products(first: 2) { edges { node { name price { amount currencyCode } } } } }',
    )
  ).products.edges.map(({ node }) => node);

async function packAndInstall() {
  app = await mkdtemp(join(tmpdir(), 'greencart-app-'));
  // Left over from an earlier build: prepack must build afresh rather than pack it.
  await mkdir(join(repositoryRoot, 'client', 'dist'), { recursive: true });
  await writeFile(join(repositoryRoot, 'client', 'dist', 'left-over.js'), 'export {};\n');
  const pack = await npm(['pack', '-w', 'client', '--pack-destination', app, '--json'], repositoryRoot);
  expect(pack.code, pack.output).toBe(0);
  [packed] = JSON.parse(pack.output.slice(pack.output.indexOf('['), pack.output.lastIndexOf(']') + 1)) as Array<typeof packed>;

  const client = JSON.parse((await run('tar', ['-xOzf', packed.filename, 'package/package.json'], app)).output) as LockEntry;
  const repositoryTypesNode = JSON.parse(await readFile(join(repositoryRoot, 'node_modules', '@types', 'node', 'package.json'), 'utf8')) as { version: string };
  const manifest = {
    name: 'shop-app',
    dependencies: { '@greencart/client': `file:${packed.filename}`, graphql: client.peerDependencies!.graphql! },
    devDependencies: { '@types/node': repositoryTypesNode.version },
  };
  await writeFile(join(app, 'package.json'), JSON.stringify({ ...manifest, private: true, type: 'module' }, null, 2));
  const { version, dependencies, peerDependencies, engines } = client;
  const lockfile = await offlineLockfile(manifest, { version, resolved: `file:${packed.filename}`, dependencies, peerDependencies, engines });
  await writeFile(join(app, 'package-lock.json'), JSON.stringify(lockfile, null, 2));
  installed = await npm(['install', '--offline', '--ignore-scripts', '--no-audit', '--no-fund'], app);
}

beforeAll(async () => {
  [supergraph] = await Promise.all([startSupergraph(), packAndInstall()]);
}, 120_000);
afterAll(async () => {
  await supergraph?.stop();
  if (app) await rm(app, { recursive: true, force: true });
});

describe('@greencart/client installed from its tarball in an app of its own', () => {
  it('packs freshly built JavaScript, declarations and the schema, and installs offline with its dependencies', async () => {
    const files = packed.files.map((file) => file.path).sort();
    expect(files).toEqual([
      'dist/generated/operations.d.ts',
      'dist/generated/operations.js',
      'dist/generated/sdk.d.ts',
      'dist/generated/sdk.js',
      'dist/index.d.ts',
      'dist/index.js',
      'package.json',
      'schema.graphql',
    ]);
    expect(installed.code, installed.output).toBe(0);
    const installedClient = JSON.parse(await readFile(join(app, 'node_modules', '@greencart', 'client', 'package.json'), 'utf8')) as { exports: { '.': Record<string, string> } };
    expect(installedClient.exports['.']).toMatchObject({ types: './dist/index.d.ts', import: './dist/index.js' });
    const schema = await readFile(join(app, 'node_modules', '@greencart', 'client', 'schema.graphql'), 'utf8');
    expect(schema).toBe(await readFile(join(repositoryRoot, 'client', 'schema.graphql'), 'utf8'));
    for (const dependency of ['graphql', 'graphql-ws', '@graphql-typed-document-node/core']) {
      await expect(readFile(join(app, 'node_modules', dependency, 'package.json'), 'utf8'), dependency).resolves.toContain(`"name": "${dependency}"`);
    }
  });

  it('type-checks a typed call, refuses a mistyped one, and runs against the gateway', async () => {
    expect(installed.code, installed.output).toBe(0);
    await mkdir(join(app, 'src'), { recursive: true });
    await writeFile(
      join(app, 'src', 'shop.ts'),
      [
        "import { createClient, GreenCartRequestError } from '@greencart/client';",
        '',
        'const client = createClient({ url: process.env.GREENCART_URL! });',
        'const { products } = await client.Products({ first: 2 });',
        'const amount: string | undefined = products?.edges[0]?.node.price.amount;',
        'const cart = await client.Cart().catch((error: unknown) => error);',
        'console.log(JSON.stringify({',
        '  names: products?.edges.map((edge) => edge.node.name),',
        '  amount,',
        "  cartError: cart instanceof GreenCartRequestError ? cart.code : 'none',",
        '}));',
        '',
      ].join('\n'),
    );
    const mistyped = [
      "import { createClient } from '@greencart/client';",
      '',
      "const client = createClient({ url: 'http://localhost:4000/graphql' });",
      'const { products } = await client.Products({ first: 2 });',
      'const amount: number | undefined = products?.edges[0]?.node.price.amount;',
      'console.log(amount);',
      '',
    ].join('\n');
    await writeFile(join(app, 'src', 'mistyped.ts'), mistyped);
    await writeFile(join(app, 'tsconfig.json'), JSON.stringify({ compilerOptions: strictNodeNext, files: ['src/shop.ts'] }));
    await writeFile(join(app, 'tsconfig.mistyped.json'), JSON.stringify({ compilerOptions: { ...strictNodeNext, noEmit: true }, files: ['src/mistyped.ts'] }));

    const [compiled, refused] = await Promise.all([tsc('tsconfig.json', app), tsc('tsconfig.mistyped.json', app)]);
    expect(compiled.code, compiled.output).toBe(0);
    expect(refused.code).not.toBe(0);
    expect(compileErrors(refused)).toEqual([`src/mistyped.ts(${lineOf(mistyped, 'const amount')},7): error TS2322: Type 'string | undefined' is not assignable to type 'number | undefined'.`]);

    const ran = await run(process.execPath, ['build/shop.js'], app, { GREENCART_URL: `${supergraph.gatewayUrl}/graphql` });
    expect(ran.code, ran.output).toBe(0);
    const products = await firstTwoProducts();
    expect(products).toHaveLength(2);
    expect(JSON.parse(ran.output)).toEqual({ names: products.map((product) => product.name), amount: products[0]!.price.amount, cartError: 'UNAUTHENTICATED' });
  }, 60_000);

  it('generates typed documents with the documented client preset from the published schema', async () => {
    expect(installed.code, installed.output).toBe(0);
    // What the app installs as dev dependencies: codegen finds its preset from the app's directory.
    await mkdir(join(app, 'node_modules', '@graphql-codegen'), { recursive: true });
    await symlink(join(repositoryRoot, 'node_modules', '@graphql-codegen', 'client-preset'), join(app, 'node_modules', '@graphql-codegen', 'client-preset'), 'dir');
    await copyFile(join(repositoryRoot, 'docs', 'examples', 'codegen.client-preset.ts'), join(app, 'codegen.ts'));
    await copyFile(join(repositoryRoot, 'client', 'schema.graphql'), join(app, 'schema.graphql'));
    await mkdir(join(app, 'src'), { recursive: true });
    const prices = [
      "import { createClient } from '@greencart/client';",
      "import { graphql } from './gql/index.js';",
      '',
      'const ProductPrices = graphql(`',
      '  query ProductPrices($first: Int!) {',
      '    products(first: $first) { edges { node { name price { amount currencyCode } } } }',
      '  }',
      '`);',
      '',
      'const client = createClient({ url: process.env.GREENCART_URL! });',
      'const { products } = await client.request(ProductPrices, { first: 2 });',
      'const prices: string[] = products?.edges.map(({ node }) => `${node.name}: ${node.price.amount} ${node.price.currencyCode}`) ?? [];',
      'console.log(JSON.stringify(prices));',
      '',
    ].join('\n');
    await writeFile(join(app, 'src', 'prices.ts'), prices);
    const misused = `${prices}await client.request(ProductPrices, { first: 'two' });\n`;
    await writeFile(join(app, 'src', 'prices-misused.ts'), misused);

    const generated = await run(process.execPath, [join(repositoryRoot, 'node_modules', '@graphql-codegen', 'cli', 'esm', 'bin.js'), '--config', 'codegen.ts'], app);
    expect(generated.code, generated.output).toBe(0);
    expect(await readFile(join(app, 'src', 'gql', 'graphql.ts'), 'utf8')).toContain('export type ProductPricesQuery = ');

    await writeFile(join(app, 'tsconfig.prices.json'), JSON.stringify({ compilerOptions: strictNodeNext, files: ['src/prices.ts'] }));
    await writeFile(join(app, 'tsconfig.misused.json'), JSON.stringify({ compilerOptions: { ...strictNodeNext, noEmit: true }, files: ['src/prices-misused.ts'] }));
    const [compiled, refused] = await Promise.all([tsc('tsconfig.prices.json', app), tsc('tsconfig.misused.json', app)]);
    expect(compiled.code, compiled.output).toBe(0);
    expect(refused.code).not.toBe(0);
    expect(compileErrors(refused)).toEqual([
      expect.stringMatching(new RegExp(`^src/prices-misused\\.ts\\(${lineOf(misused, "first: 'two'")},\\d+\\): error TS2322: Type 'string' is not assignable to type 'number'\\.$`)),
    ]);

    const ran = await run(process.execPath, ['build/prices.js'], app, { GREENCART_URL: `${supergraph.gatewayUrl}/graphql` });
    expect(ran.code, ran.output).toBe(0);
    const products = await firstTwoProducts();
    expect(JSON.parse(ran.output)).toEqual(products.map((product) => `${product.name}: ${product.price.amount} ${product.price.currencyCode}`));
  }, 60_000);
});
