import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { chmod, mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { createServer as createHttpServer } from 'node:http';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { environmentNameOf, nodeFlagsOf, repositoryManifest, repositoryRoot } from '@greencart/platform';
import { graphqlClient } from './support/graphql.js';
import { freePort, isListening } from './support/ports.js';

/**
 * `npm start` as a user runs it: scripts/start.ts in its own process, with its own data folder
 * and free ports, started twice on the same data.
 */
let dataDir: string;
/** Free ports for PostgreSQL and every service of the manifest (its subgraphs by name, and the gateway). */
let ports: Record<string, number>;
const subgraphNames = repositoryManifest().subgraphs.map((subgraph) => subgraph.name);
/** The web apps npm start serves beside the services (the storefront). */
const webAppNames = repositoryManifest().webApps.map((app) => app.name);

beforeAll(async () => {
  dataDir = await mkdtemp(join(tmpdir(), 'greencart-start-'));
  await chmod(dataDir, 0o755);
  ports = { gateway: await freePort(), postgres: await freePort() };
  for (const name of [...subgraphNames, ...webAppNames]) ports[name] = await freePort();
});
afterAll(() => rm(dataDir, { recursive: true, force: true }));

/** What npm start wrote on stderr (its own log lines and its services'), chunk by chunk, per child process. */
const stderrOf = new WeakMap<ChildProcess, string[]>();

function startGreenCart(extraEnvironment: Record<string, string> = {}): ChildProcess {
  const { DATABASE_URL: _ignored, ...environment } = process.env;
  const child = spawn(process.execPath, ['--conditions=@greencart/source', '--import', 'tsx', join(repositoryRoot, 'scripts/start.ts')], {
    cwd: repositoryRoot,
    env: {
      ...environment,
      GREENCART_DATA_DIR: dataDir,
      EMBEDDED_POSTGRES_PORT: String(ports.postgres),
      PORT: String(ports.gateway),
      ...Object.fromEntries([...subgraphNames, ...webAppNames].map((name) => [`${environmentNameOf(name)}_PORT`, String(ports[name])])),
      // Metrics ports of their own (any free ones), apart from a running npm start's and other tests'.
      METRICS_PORT: '0',
      ...Object.fromEntries(subgraphNames.map((name) => [`${environmentNameOf(name)}_METRICS_PORT`, '0'])),
      LOG_LEVEL: 'warn',
      ...extraEnvironment,
    },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  const lines: string[] = [];
  stderrOf.set(child, lines);
  child.stderr!.setEncoding('utf8');
  child.stderr!.on('data', (chunk: string) => lines.push(chunk));
  return child;
}

/** How long a killed process may take to serve again under npm start's supervision. */
const RESTART_WAIT_MS = 60_000;

/** How long a start may take to be ready: a first one on a 2-core machine running other suites' servers passed a minute. */
const READY_WAIT_MS = 240_000;

async function waitUntilReady(child: ChildProcess): Promise<void> {
  let exited = false;
  child.once('exit', () => (exited = true));
  for (const deadline = Date.now() + READY_WAIT_MS; Date.now() < deadline;) {
    if (exited) throw new Error('npm start exited before it was ready');
    const ready = await fetch(`http://127.0.0.1:${ports.gateway}/ready`).then(
      (response) => response.ok,
      () => false,
    );
    if (ready) return;
    await sleep(250);
  }
  throw new Error('the gateway did not become ready');
}

/** Ctrl-C, as a terminal sends it; resolves with the exit code. */
async function interrupt(child: ChildProcess): Promise<number | null> {
  const exit = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  child.kill('SIGINT');
  return exit;
}

/**
 * The README's "Try it" as a reader runs it against this npm start: its `curl` commands in a shell,
 * and each of its GraphQL lines that needs nothing filled in. Each must answer data and no error.
 */
async function runReadmeSnippets(): Promise<void> {
  const readme = readFileSync(join(repositoryRoot, 'README.md'), 'utf8');
  const local = (text: string) => text.replaceAll('localhost:4000', `127.0.0.1:${ports.gateway}`);
  const curls = [...readme.matchAll(/```sh\n(curl[\s\S]*?)```/g)].map((match) => local(match[1]!));
  expect(curls.length).toBeGreaterThan(0);
  for (const command of curls) {
    const answer = JSON.parse(execFileSync('bash', ['-c', command], { encoding: 'utf8' })) as { data?: unknown; errors?: unknown };
    expect(answer.errors, command).toBeUndefined();
    expect(answer.data, command).toBeTruthy();
  }
  const operations = [...readme.matchAll(/```graphql\n([\s\S]*?)```/g)].flatMap((match) => match[1]!.split('\n')).filter((line) => line.trim() && !line.includes('<'));
  expect(operations.length).toBeGreaterThan(0);
  for (const query of operations) {
    const response = await fetch(`http://127.0.0.1:${ports.gateway}/graphql`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ query }) });
    const answer = (await response.json()) as { data?: Record<string, { userErrors?: unknown[] } | null>; errors?: unknown };
    expect(answer.errors, query).toBeUndefined();
    for (const payload of Object.values(answer.data ?? {})) expect(payload?.userErrors ?? [], query).toEqual([]);
  }
}

/** A web app answers its page, and its configuration names this npm start's gateway. */
async function expectWebAppServing(app: string): Promise<void> {
  const page = await fetch(`http://127.0.0.1:${ports[app]}/`);
  expect(page.status, app).toBe(200);
  expect(page.headers.get('content-type'), app).toContain('text/html');
  expect(await page.text(), app).toContain('<div id="root">');
  const config = await fetch(`http://127.0.0.1:${ports[app]}/src/config.ts`).then((response) => response.text());
  expect(config, `${app}'s gateway address`).toContain(`http://localhost:${ports.gateway}/graphql`);
}

const catalogueQuery = '{ products(first: 0) { totalCount } categories { name productCount } }';
const ratingQuery = '{ productBySku(sku: "BAK-SOURDOUGH") { rating { count average } } }';
const demoHistoryQuery = '{ orders(first: 0) { totalCount } productBySku(sku: "BAK-SOURDOUGH") { boughtTogether { id } } }';

/**
 * One first start runs through the checks that need a running stack (demo data, supervision, a
 * SIGTERM under load), and one next start on the same data checks what a second start must keep:
 * two full starts, not one per check, since each costs tens of seconds on a small machine.
 */
describe('npm start, from an empty data folder, then again on the same data', () => {
  /** The first start, shared by the tests that follow it until the SIGTERM test stops it. */
  let first: ChildProcess | undefined;
  const api = () => graphqlClient(`http://127.0.0.1:${ports.gateway}/graphql`);
  const running = () => {
    if (!first || first.exitCode !== null) throw new Error('the first npm start is not running (an earlier test failed)');
    return first;
  };
  afterAll(async () => {
    if (first && first.exitCode === null) await interrupt(first);
  });

  it('runs migrations, demo data, every subgraph, the gateway and the web apps', async () => {
    first = startGreenCart();
    // A first start creates the database cluster itself (initdb) before anything else: on a busy 2-core machine that can pass 30 s.
    await waitUntilReady(first);
    const catalogue = await api().data(catalogueQuery);
    expect(catalogue.products.totalCount).toBeGreaterThanOrEqual(60);
    expect(catalogue.categories.length).toBeGreaterThanOrEqual(6);
    expect(catalogue.categories.every((category: { productCount: number }) => category.productCount > 0)).toBe(true);
    const admin = await api().adminToken();
    // The demo order history is there from the first start, and "bought together" shows it.
    const history = await api().data(demoHistoryQuery, {}, { token: admin });
    expect(history.orders.totalCount).toBe(300);
    expect(history.productBySku.boughtTogether).toHaveLength(5);
    // And the demo shoppers' reviews, which reviews writes once orders answers.
    await vi.waitFor(async () => expect((await api().data(ratingQuery)).productBySku.rating.count).toBeGreaterThan(0), { timeout: 30_000, interval: 500 });
    await runReadmeSnippets();
    for (const port of subgraphNames.map((name) => ports[name]!)) {
      expect((await fetch(`http://127.0.0.1:${port}/ready`)).status).toBe(200);
    }
    // Each web app's page, served by Vite and pointed at this npm start's gateway.
    for (const app of webAppNames) await expectWebAppServing(app);
    expect(await readdir(join(dataDir, 'keys'))).toEqual(['services', 'user-token-private.pem', 'user-token-public.pem']);
    // A key of its own for each service that calls others, and only their public halves shared.
    expect(await readdir(join(dataDir, 'keys', 'services', 'private'))).toEqual(['gateway.pem', 'orders.pem', 'reviews.pem']);
    for (const caller of ['gateway', 'orders', 'reviews']) expect(await readdir(join(dataDir, 'keys', 'services', 'public', caller)), caller).toEqual([expect.stringMatching(/^[\w-]{43}\.pem$/)]);
  }, 300_000);

  it('runs each process with its node flags, and starts again whichever exits on its own while the others go on serving', async () => {
    const child = running();
    const log = () => stderrOf.get(child)!.join('');
    /** The pid of the process npm start last started as `name`. */
    const lastPid = (name: string) => Number([...log().matchAll(new RegExp(`"process":"${name}","pid":(\\d+)`, 'g'))].at(-1)![1]);
    // Every process runs with the node flags (heap budget) the manifest gives it, as in production.
    for (const name of ['gateway', ...subgraphNames]) {
      const commandLine = readFileSync(`/proc/${lastPid(name)}/cmdline`, 'utf8').split('\0');
      expect(commandLine.slice(1, 1 + nodeFlagsOf(name).length), name).toEqual(nodeFlagsOf(name));
    }
    // Each process in turn, killed outright: npm start starts it again, while the others go on
    // serving what does not need it. A restart takes about 5 s here when idle; the wait allows for
    // a CI machine running other suites' servers beside it (one took over 20 s there).
    const backWithin: Record<string, number> = {};
    for (const name of [...subgraphNames, 'gateway', ...webAppNames]) {
      const killedAt = Date.now();
      process.kill(lastPid(name), 'SIGKILL');
      await vi.waitFor(() => expect(log()).toContain(`${name} exited unexpectedly (signal SIGKILL); starting it again in 1 s`), { timeout: 5_000 });
      if (webAppNames.includes(name)) {
        // The API serves on without the shop's pages.
        expect((await api().data(catalogueQuery)).products.totalCount, `the catalogue while ${name} is down`).toBeGreaterThan(0);
        await vi.waitFor(async () => expect((await fetch(`http://127.0.0.1:${ports[name]}/`).catch(() => undefined))?.status, `${name} serving again`).toBe(200), {
          timeout: RESTART_WAIT_MS,
          interval: 250,
        });
        backWithin[name] = Date.now() - killedAt;
        continue;
      }
      if (name === 'gateway') {
        // The subgraphs serve on without it.
        for (const subgraph of subgraphNames) expect((await fetch(`http://127.0.0.1:${ports[subgraph]}/health`)).status, subgraph).toBe(200);
      } else if (name === 'products') {
        // Accounts does not need products: signing in goes on working meanwhile.
        await api().adminToken();
      } else {
        expect((await api().data(catalogueQuery)).products.totalCount, `the catalogue while ${name} is down`).toBeGreaterThan(0);
      }
      // Back, with nothing to restart by hand: the gateway ready again, so every subgraph answers it.
      await vi.waitFor(async () => expect((await fetch(`http://127.0.0.1:${ports.gateway}/ready`).catch(() => undefined))?.status, `the gateway ready again after ${name} was killed`).toBe(200), {
        timeout: RESTART_WAIT_MS,
        interval: 250,
      });
      backWithin[name] = Date.now() - killedAt;
    }
    console.info(`killed each process in turn; ready again after (ms): ${JSON.stringify(backWithin)}`);
    expect((await api().data(catalogueQuery)).products.totalCount).toBeGreaterThan(0);
    await api().adminToken();
  }, 420_000);

  /** The product the SIGTERM burst orders, for the next start to count. */
  let burstProductId: string | undefined;

  it('stops every process on SIGTERM during a burst of placeOrder, with exit code 0 and every port closed', async () => {
    const child = running();
    const admin = await api().adminToken();
    const { categories } = await api().data('{ categories { id } }');
    const created = await api().data(
      'mutation($input: CreateProductInput!) { createProduct(input: $input) { product { id } userErrors { code } } }',
      { input: { sku: `SIGTERM-${Date.now()}`, name: 'Shutdown test product', price: '1.00', stock: 30, categoryId: categories[0].id } },
      { token: admin },
    );
    const productId: string = created.createProduct.product.id;
    const customers = await Promise.all(Array.from({ length: 30 }, () => api().registerCustomer()));
    const placeOrder = 'mutation($input: PlaceOrderInput!) { placeOrder(input: $input) { order { id } userErrors { code } } }';
    const burst = customers.map((customer, index) =>
      api()
        .request(placeOrder, { input: { idempotencyKey: `sigterm-${index}`, items: [{ productId, quantity: 1 }] } }, { token: customer.token })
        .catch(() => undefined),
    );
    await Promise.race(burst);
    const exit = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    child.kill('SIGTERM');
    expect(await exit).toBe(0);
    await Promise.all(burst);
    burstProductId = productId;
    for (const port of Object.values(ports)) expect(await isListening(port)).toBe(false);
  }, 120_000);

  it('starts again on the same data with a readable banner: seeding changes nothing, each unit of the burst is in stock or in an order, and Ctrl-C stops it cleanly', async () => {
    // Whatever an earlier failure left running of the first start goes first: this start needs its ports.
    if (first && first.exitCode === null) await interrupt(first);
    // As at a terminal: readable lines, and a banner saying where to go.
    const child = startGreenCart({ LOG_FORMAT: 'pretty', LOG_LEVEL: 'info' });
    try {
      await waitUntilReady(child);
      await vi.waitFor(() => expect(stderrOf.get(child)!.join('')).toContain('GreenCart is ready in'), { timeout: 5_000 });
      const output = stderrOf.get(child)!.join('');
      expect(output).toMatch(new RegExp(`GraphQL and GraphiQL +http://localhost:${ports.gateway}/graphql`));
      expect(output).toMatch(new RegExp(`Subscriptions +ws://localhost:${ports.gateway}/graphql`));
      expect(output).toMatch(/Sign in as the admin +admin@greencart\.dev with greencart-admin/);
      for (const app of webAppNames) expect(output).toMatch(new RegExp(`${app} +http://localhost:${ports[app]}`, 'i'));
      expect(output).toMatch(/\] INFO: gateway /);
      expect(output.split('\n').filter((line) => line.trimStart().startsWith('{"'))).toEqual([]);
      // The demo data once: 64 products (and the SIGTERM test's own), the 300 demo orders and the burst's.
      const customer = await api().registerCustomer();
      const catalogue = await api().data(catalogueQuery);
      expect(catalogue.products.totalCount).toBe(burstProductId ? 65 : 64);
      expect(catalogue.categories).toHaveLength(6);
      const admin = await api().adminToken();
      expect((await api().data(demoHistoryQuery, {}, { token: admin })).orders.totalCount).toBeGreaterThanOrEqual(300);
      expect((await api().data('{ me { id } }', {}, { token: customer.token })).me.id).toBe(customer.id);
      // Nothing the SIGTERM cut is half done: each unit of its product is in stock or in a live order.
      expect(burstProductId, 'the SIGTERM test ran').toBeDefined();
      const { product } = await api().data('query($id: ID!) { product(id: $id) { stock } }', { id: burstProductId });
      let held = 0;
      let demoOrders = 0;
      let after: string | null = null;
      for (;;) {
        const page: {
          orders: { pageInfo: { hasNextPage: boolean; endCursor: string }; edges: Array<{ node: { status: string; items: Array<{ quantity: number; product: { id: string } | null }> } }> };
        } = await api().data(
          'query($after: String) { orders(first: 100, after: $after) { pageInfo { hasNextPage endCursor } edges { node { status items { quantity product { id } } } } } }',
          { after },
          { token: admin },
        );
        for (const { node } of page.orders.edges) {
          const burstUnits = node.items.filter((item) => item.product?.id === burstProductId).reduce((sum, item) => sum + item.quantity, 0);
          if (burstUnits === 0) demoOrders += 1;
          if (node.status !== 'CANCELLED') held += burstUnits;
        }
        if (!page.orders.pageInfo.hasNextPage) break;
        after = page.orders.pageInfo.endCursor;
      }
      expect(demoOrders, 'the demo orders, not seeded twice').toBe(300);
      expect(held).toBeGreaterThan(0);
      expect(product.stock + held).toBe(30);
    } finally {
      expect(await interrupt(child)).toBe(0);
    }
    for (const port of Object.values(ports)) expect(await isListening(port)).toBe(false);
  }, 300_000);
});

describe('a service that cannot start at all', () => {
  it('is not fooled by another server on its ports that answers /health and /ready: no ready banner, and after three failed starts exit code 1, saying so in one line', async () => {
    // Another GreenCart (or anything healthy) holds every service's port and answers 200 to all.
    const impostors = await Promise.all(
      [ports.gateway!, ...subgraphNames.map((name) => ports[name]!)].map(async (port) => {
        const impostor = createHttpServer((_req, res) => res.writeHead(200, { 'content-type': 'application/json' }).end('{"status":"ready"}'));
        await new Promise<void>((resolve) => impostor.listen(port, '127.0.0.1', resolve));
        return impostor;
      }),
    );
    try {
      // A ready timeout far past what three failed starts take on a busy machine, so that they end it.
      const child = startGreenCart({ READY_TIMEOUT_SECONDS: '600' });
      const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
      const output = stderrOf.get(child)!.join('');
      const gaveUp = output.match(new RegExp(`(${['gateway', ...subgraphNames].join('|')}) could not start \\(exit code 1, three times in a row\\): stopping GreenCart`));
      console.info(
        `npm start beside servers answering 200 on its ports: exit code ${code}; ${output.match(/failed to start: listen EADDRINUSE/g)?.length ?? 0} failed starts; last line: ${gaveUp?.[0]}`,
      );
      expect(code).toBe(1);
      expect(output).not.toContain('GreenCart is ready');
      expect(gaveUp, 'one line naming the service that gave up').not.toBeNull();
      expect(output.match(new RegExp(`${gaveUp![1]} failed to start: listen EADDRINUSE`, 'g'))).toHaveLength(3);
    } finally {
      await Promise.all(impostors.map((impostor) => new Promise((resolve) => impostor.close(resolve))));
    }
    for (const port of Object.values(ports)) expect(await isListening(port)).toBe(false);
  }, 360_000);
});
