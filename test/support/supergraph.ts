import { randomBytes } from 'node:crypto';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import postgres from 'postgres';
import { inject } from 'vitest';
import { templateDatabasesOf, templatePrefixOf } from './template-databases.js';
import {
  buildUserTokenKeySet,
  createLocalUserTokenVerifier,
  createLogger,
  createRemoteUserTokenVerifier,
  createSubgraphClient,
  createUserTokenIssuer,
  databaseUrl,
  dropDatabase,
  isSelfNotificationStatement,
  JWKS_PATH,
  loadServiceCredentials,
  publishedKeySet,
  repositoryManifest,
  repositoryRoot,
  type LogLevel,
  type RunningService,
  type ServiceCredentials,
  type ServiceName,
} from '@greencart/platform';
import { prepareAccountsDatabase, seedAdministrator, seedDemoShoppers, startAccountsService, type SignInThrottleSettings } from '@greencart/accounts';
import {
  createAccountsClient,
  createInvoiceLinks,
  createStockClient,
  createTestPaymentProcessor,
  OrderRecovery,
  prepareOrdersDatabase,
  seedDemoOrders,
  startOrdersService,
  type FaultInjector,
} from '@greencart/orders';
import { prepareProductsDatabase, seedDemoCatalogue, startProductsService } from '@greencart/products';
import { createCatalogueClient, createPurchasesClient, prepareReviewsDatabase, seedDemoReviews, startReviewsService } from '@greencart/reviews';
import { startGateway, type RateLimitSettings, type RequestLimits, type SubscriptionLimits } from '@greencart/gateway';
import { graphqlClient, type GraphQLClient } from './graphql.js';
import { freePort } from './ports.js';
import { newSigningKeyPair } from './tokens.js';

export const TOKEN_SETTINGS = { issuer: 'greencart-accounts', audience: 'greencart' } as const;
export const ADMIN = { email: 'admin@greencart.dev', password: 'greencart-admin' } as const;

/** Counts the SQL statements one subgraph sends to its database. */
export class StatementCounter {
  statements: string[] = [];
  readonly record = (statement: string) => {
    // A change feed's self-notification, every 50 ms, is no request's cost.
    if (!isSelfNotificationStatement(statement)) this.statements.push(statement);
  };
  get count(): number {
    return this.statements.length;
  }
  /**
   * Statements counted, leaving out any catalogue lookup (pg_catalog): a driver's, on whichever
   * connection a query gets, not the query's cost. (The services' pools make none today: see
   * openDatabase.)
   */
  get applicationCount(): number {
    return this.statements.filter((statement) => !/\bpg_catalog\./.test(statement)).length;
  }
  reset(): void {
    this.statements = [];
  }
}

/** Accounts' keys: the pair that signs, and the public keys that still verify but sign nothing. */
export interface AccountsKeyOptions {
  signingKeys: { privateKeyPem: string; publicKeyPem: string };
  retiredPublicKeyPems?: string[];
}

export interface SupergraphOptions extends Partial<AccountsKeyOptions> {
  seedCatalogue?: boolean;
  /** The demo shoppers and their order history, as `npm start` seeds them (over the demo catalogue). */
  seedDemoHistory?: boolean;
  /** How long the gateway, orders and products cache accounts' keys (default 300, as in production). */
  jwksCacheSeconds?: number;
  /** The least time between two key fetches caused by an unknown kid (default 30, as in production). */
  jwksCooldownSeconds?: number;
  /** Sign-in throttle limits (default: production's). */
  signInThrottle?: SignInThrottleSettings;
  /** Whether the gateway believes X-Forwarded-For for the client's address. */
  trustProxy?: boolean;
  /** Browser origins the gateway allows by CORS (default: local ones in development, none in production). */
  corsOrigins?: string[];
  /** A PostgreSQL server of the test's own (default: the run's shared one). */
  postgresServerUrl?: string;
  /** Every service with NODE_ENV=production behaviour. */
  production?: boolean;
  /** Whether the gateway runs only the client's persisted documents. */
  safelist?: boolean;
  /** Makes placing an order fail at chosen points (orders' fault injection, tests only). */
  faults?: FaultInjector;
  /** The gateway's request limits (default: production's). */
  requestLimits?: RequestLimits;
  /** The largest JSON body the gateway reads, in bytes (default: production's). */
  maxBodyBytes?: number;
  /** The gateway's deadline per request (default: production's). */
  requestTimeoutMs?: number;
  /** The gateway's rate limits per client address and per customer (default: far above anything a test sends). */
  rateLimits?: RateLimitSettings;
  /** Redis, where the gateway counts its rate limits (default: the gateway's memory). */
  redisUrl?: string;
  /** Concurrent subscriptions per connection and per customer (default: production's). */
  subscriptionLimits?: SubscriptionLimits;
  /** How long a CDN or browser may reuse a public GET's answer, in seconds (default: production's). */
  publicCacheMaxAgeSeconds?: number;
  /**
   * The gateway's cache of public answers: its bound and longest age (default: off). Production's
   * default is on; here it is off unless a test asks, since many tests read a product right after
   * changing it beside the gateway (orders' recovery sweep, SQL), which the contract gives 250 ms.
   */
  responseCache?: { maxBytes: number; maxAgeSeconds: number } | false;
  /** Requests for new image sizes that may wait for a resize in products (default IMAGE_RESIZES_WAITING's, 64). */
  imageResizesWaiting?: number;
}

/** The subgraphs this harness starts in-process, each with its own dependencies. */
export const HARNESS_SUBGRAPHS = ['accounts', 'orders', 'products', 'reviews'] as const;
export type HarnessSubgraph = (typeof HARNESS_SUBGRAPHS)[number];
/** The services that call others, whose credentials a test may borrow. */
type CallingService = 'gateway' | 'orders' | 'reviews';

export interface TestSupergraph extends GraphQLClient {
  gatewayUrl: string;
  subgraphUrls: Record<HarnessSubgraph, string>;
  /** Each service's `/metrics`, on its internal metrics port. */
  metricsUrls: Record<'gateway' | HarnessSubgraph, string>;
  /** Accounts' published keys, which every other service verifies against. */
  jwksUrl: string;
  statements: Record<HarnessSubgraph, StatementCounter>;
  /** Runs orders' recovery sweep now, treating claims older than `abandonedAfterSeconds` as abandoned. */
  sweepOrders(abandonedAfterSeconds?: number): Promise<number>;
  /** Every line the services logged, at debug level. */
  logs: string[];
  /** Each subgraph's own database, for tests that inspect what was (or was not) stored. */
  databaseUrls: Record<HarnessSubgraph, string>;
  /** Accounts' current signing key pair and its kid, for forging tokens in tests. */
  readonly keys: { privateKeyPem: string; publicKeyPem: string; kid: string };
  /** The data folder where the services keep their service keys, as under `npm start`. */
  serviceKeysDir: string;
  /** A service token of a calling service (gateway, orders, reviews), signed with its own key, for calls to `audience`. */
  serviceToken(caller: CallingService, audience: ServiceName): Promise<string>;
  /** A calling service's own service credentials, for a test that calls as that service. */
  serviceCredentials(caller: CallingService): ServiceCredentials;
  /** Stops one subgraph (to test partial failure); stop() skips it afterwards. */
  stopSubgraph(name: HarnessSubgraph): Promise<void>;
  /** Stops any one service, the gateway included (to test shutdown); stop() skips it afterwards. */
  stopService(name: 'gateway' | HarnessSubgraph): Promise<void>;
  /** Starts accounts again on the same port with another key set, as an operator rotating keys would. */
  restartAccounts(options: AccountsKeyOptions): Promise<void>;
  /** Starts products again on the same port, after stopSubgraph('products'), as a supervisor would. */
  restartProducts(): Promise<void>;
  /**
   * Starts another gateway on the same subgraphs with the same settings (but for `settings`), as a
   * load-balanced replica would be; stop() stops it too.
   */
  startGatewayReplica(settings?: Pick<SupergraphOptions, 'requestTimeoutMs' | 'responseCache'>): Promise<{ url: string; metricsUrl: string }>;
  stop(): Promise<void>;
}

/**
 * The whole supergraph for one test file: fresh databases on the run's PostgreSQL server, the three
 * subgraphs and the gateway as real HTTP servers on free ports, wired as in production: accounts
 * signs and publishes its keys, and every other service verifies against them over HTTP.
 */
/** The manifest's subgraphs that the harness does not start: a gateway without them would fail confusingly. */
export function subgraphsTheHarnessLacks(): string[] {
  return repositoryManifest()
    .subgraphs.map((subgraph) => subgraph.name)
    .filter((name) => !(HARNESS_SUBGRAPHS as readonly string[]).includes(name));
}

/** Any fixed number: the advisory lock under which one test process builds the run's templates. */
const TEMPLATE_LOCK = 7_304_112_027;

/** The run's template databases, as names on the server: each subgraph's, and products' with the demo catalogue. */
function templateNames(): Record<HarnessSubgraph | 'productsCatalogue', string> {
  const prefix = templatePrefixOf(inject('harnessRunId'));
  return { ...(Object.fromEntries(HARNESS_SUBGRAPHS.map((name) => [name, `${prefix}${name}`])) as Record<HarnessSubgraph, string>), productsCatalogue: `${prefix}products_catalogue` };
}

/**
 * Creates this supergraph's databases as copies of templates migrated and seeded once per run
 * (`CREATE DATABASE … TEMPLATE` copies files): migrating four databases and drawing the 64 demo
 * pictures again for every supergraph cost each test file seconds of CPU. The services then
 * migrate them as they always do, which finds nothing left to apply.
 */
async function copyTemplateDatabases(serverUrl: string, names: Record<HarnessSubgraph, string>, withCatalogue: boolean): Promise<void> {
  const templates = templateNames();
  const admin = postgres(serverUrl, { max: 1, onnotice: () => {}, fetch_types: false });
  try {
    await admin`select pg_advisory_lock(${TEMPLATE_LOCK})`;
    try {
      const existing = new Set(await templateDatabasesOf(admin, inject('harnessRunId')));
      if (!Object.values(templates).every((name) => existing.has(name))) await buildTemplates(serverUrl, templates);
    } finally {
      await admin`select pg_advisory_unlock(${TEMPLATE_LOCK})`;
    }
    for (const name of HARNESS_SUBGRAPHS) {
      const template = name === 'products' && withCatalogue ? templates.productsCatalogue : templates[name];
      // A template's last connection may still be closing on the server (55006, object in use).
      for (let attempt = 1; ; attempt++) {
        try {
          await admin.unsafe(`create database "${names[name]}" template "${template}"`);
          break;
        } catch (error) {
          if ((error as { code?: string }).code !== '55006' || attempt === 20) throw error;
          await sleep(50);
        }
      }
    }
  } finally {
    await admin.end({ timeout: 5 });
  }
}

/** Migrates each template, seeds the administrator and the demo catalogue, and closes every connection to them. */
async function buildTemplates(serverUrl: string, templates: Record<HarnessSubgraph | 'productsCatalogue', string>): Promise<void> {
  const [accountsDb, ordersDb, productsDb, catalogueDb, reviewsDb] = await Promise.all([
    prepareAccountsDatabase({ serverUrl, name: templates.accounts }),
    prepareOrdersDatabase({ serverUrl, name: templates.orders }),
    prepareProductsDatabase({ serverUrl, name: templates.products }),
    prepareProductsDatabase({ serverUrl, name: templates.productsCatalogue }),
    prepareReviewsDatabase({ serverUrl, name: templates.reviews }),
  ]);
  await seedAdministrator(accountsDb.db, ADMIN.password);
  await seedDemoCatalogue(catalogueDb.db);
  await Promise.all([accountsDb, ordersDb, productsDb, catalogueDb, reviewsDb].map((database) => database.close()));
}

export async function startSupergraph(options: SupergraphOptions = {}): Promise<TestSupergraph> {
  const lacking = subgraphsTheHarnessLacks();
  if (lacking.length > 0) throw new Error(`supergraph.yaml names ${lacking.join(', ')}, which test/support/supergraph.ts does not start: start it there beside the others`);
  const serverUrl = options.postgresServerUrl ?? inject('postgresServerUrl');
  const suffix = randomBytes(5).toString('hex');
  const names = Object.fromEntries(HARNESS_SUBGRAPHS.map((name) => [name, `test_${suffix}_${name}`])) as Record<HarnessSubgraph, string>;
  const statements = Object.fromEntries(HARNESS_SUBGRAPHS.map((name) => [name, new StatementCounter()])) as Record<HarnessSubgraph, StatementCounter>;
  // Every service logs at debug level into `logs` (tests check what never reaches a log);
  // TEST_LOG_LEVEL also prints them.
  const logs: string[] = [];
  const printLevel = process.env.TEST_LOG_LEVEL as LogLevel | undefined;
  const logger = (service: string) =>
    createLogger(service, 'debug', 'json', (line) => {
      logs.push(line);
      if (printLevel && printLevel !== 'silent') process.stderr.write(`${line}\n`);
    });
  const jwksCacheSeconds = options.jwksCacheSeconds ?? 300;

  // Service keys as `npm start` makes them: each generated once into a data folder (this
  // supergraph's own), each service reading its own private key and its callers' public keys.
  const serviceKeysDir = await mkdtemp(join(tmpdir(), 'greencart-service-keys-'));
  const credentialsFor = async (service: ServiceName) => (await loadServiceCredentials({ service, callerPublicKeys: {}, dataDir: serviceKeysDir })).credentials;
  const listen = { port: 0, host: '127.0.0.1' };

  await copyTemplateDatabases(serverUrl, names, options.seedCatalogue ?? true);
  const [accountsDb, ordersDb, productsDb, reviewsDb] = await Promise.all([
    prepareAccountsDatabase({ serverUrl, name: names.accounts, onStatement: statements.accounts.record }),
    prepareOrdersDatabase({ serverUrl, name: names.orders, onStatement: statements.orders.record }),
    prepareProductsDatabase({ serverUrl, name: names.products, onStatement: statements.products.record }),
    prepareReviewsDatabase({ serverUrl, name: names.reviews, onStatement: statements.reviews.record }),
  ]);

  /** Accounts as its index.ts builds it: a key set, the JWKS it publishes, a verifier against it. */
  async function startAccounts(keyOptions: AccountsKeyOptions, port: number, metricsPort = 0) {
    const keySet = await buildUserTokenKeySet({ privateKeyPem: keyOptions.signingKeys.privateKeyPem, retiredPublicKeyPems: keyOptions.retiredPublicKeyPems });
    const publishedKeys = await publishedKeySet(keySet);
    const service = await startAccountsService(
      {
        production: options.production ?? false,
        database: accountsDb,
        issuer: await createUserTokenIssuer({ ...TOKEN_SETTINGS, signingKey: keySet.signingKey, ttlSeconds: 900 }),
        verifier: createLocalUserTokenVerifier({ ...TOKEN_SETTINGS, keySet: publishedKeys }),
        publishedKeys,
        jwksCacheSeconds,
        signInThrottle: options.signInThrottle,
        credentials: await credentialsFor('accounts'),
        logger: logger('accounts'),
      },
      { ...listen, port, metricsPort },
    );
    return { service, signingKey: keySet.signingKey };
  }

  // Accounts first: the others fetch its keys (lazily, on the first token they see).
  let accounts = await startAccounts({ signingKeys: options.signingKeys ?? (await newSigningKeyPair()), retiredPublicKeyPems: options.retiredPublicKeyPems }, 0);
  const accountsPort = accounts.service.port;
  const jwksUrl = `${accounts.service.url}${JWKS_PATH}`;
  // One verifier per process, each with its own cache, as when they run apart.
  const remoteVerifier = () =>
    createRemoteUserTokenVerifier({
      ...TOKEN_SETTINGS,
      jwksUrl,
      cacheSeconds: jwksCacheSeconds,
      refetchCooldownSeconds: options.jwksCooldownSeconds ?? 30,
    });

  // The gateway's port is chosen now: products' image URLs and orders' invoice links carry its address.
  const gatewayPort = await freePort();
  const startProducts = async (port: number, metricsPort = 0) =>
    startProductsService(
      {
        production: options.production ?? false,
        verifier: remoteVerifier(),
        database: productsDb,
        credentials: await credentialsFor('products'),
        logger: logger('products'),
        images: { publicUrl: `http://127.0.0.1:${gatewayPort}`, ...(options.imageResizesWaiting === undefined ? {} : { resizesWaiting: options.imageResizesWaiting }) },
      },
      { ...listen, port, metricsPort },
    );
  const products = await startProducts(0);
  const ordersCredentials = await credentialsFor('orders');
  const ordersClient = (name: ServiceName, url: string) => createSubgraphClient({ name, url, credentials: ordersCredentials, timeoutMs: 15_000 });
  const stock = createStockClient(ordersClient('products', products.url));
  const recovery = new OrderRecovery(ordersDb.db, stock, logger('orders'));
  const orders = await startOrdersService(
    {
      production: options.production ?? false,
      verifier: remoteVerifier(),
      database: ordersDb,
      credentials: ordersCredentials,
      products: ordersClient('products', products.url),
      stock,
      accounts: createAccountsClient(ordersClient('accounts', accounts.service.url)),
      faults: options.faults,
      processor: createTestPaymentProcessor(),
      invoiceLinks: createInvoiceLinks({ secret: randomBytes(32).toString('base64url'), publicUrl: `http://127.0.0.1:${gatewayPort}` }),
      logger: logger('orders'),
    },
    listen,
  );
  if (options.seedDemoHistory) {
    await seedDemoShoppers(accountsDb.db);
    await seedDemoOrders(ordersDb.db, ordersClient('products', products.url), logger('orders'));
  }
  // Reviews asks products whether a product is on sale and orders whether it was bought, with its own key.
  const reviewsCredentials = await credentialsFor('reviews');
  const reviewsClient = (name: ServiceName, url: string) => createSubgraphClient({ name, url, credentials: reviewsCredentials, timeoutMs: 15_000 });
  const purchases = createPurchasesClient(reviewsClient('orders', orders.url));
  const reviews = await startReviewsService(
    {
      production: options.production ?? false,
      verifier: remoteVerifier(),
      database: reviewsDb,
      credentials: reviewsCredentials,
      catalogue: createCatalogueClient(reviewsClient('products', products.url)),
      purchases,
      logger: logger('reviews'),
    },
    listen,
  );
  if (options.seedDemoHistory) await seedDemoReviews(reviewsDb.db, purchases, logger('reviews'), { waitSeconds: 10 });
  const subgraphUrls = { accounts: accounts.service.url, orders: orders.url, products: products.url, reviews: reviews.url };
  const supergraphSdl = await readFile(`${repositoryRoot}/supergraph.graphql`, 'utf8');
  const gatewayCredentials = await credentialsFor('gateway');
  const startGatewayOn = (port: number, gatewayLogger = logger('gateway'), settings: Pick<SupergraphOptions, 'requestTimeoutMs' | 'responseCache'> = {}) =>
    startGateway(
      {
        production: options.production ?? false,
        verifier: remoteVerifier(),
        supergraphSdl,
        subgraphUrls,
        credentials: gatewayCredentials,
        logger: gatewayLogger,
        subgraphTimeoutMs: 15_000,
        trustProxy: options.trustProxy,
        corsOrigins: options.corsOrigins,
        safelist: options.safelist,
        requestLimits: options.requestLimits,
        maxBodyBytes: options.maxBodyBytes,
        requestTimeoutMs: settings.requestTimeoutMs ?? options.requestTimeoutMs,
        subscriptionLimits: options.subscriptionLimits,
        publicCacheMaxAgeSeconds: options.publicCacheMaxAgeSeconds,
        responseCache: settings.responseCache ?? options.responseCache ?? false,
        // Every test sends from one address as fast as the machine allows, which on a quick machine
        // passes the production default (100 a second); the limits themselves are tested in
        // rate-limits.test.ts with limits of its own.
        rateLimits: options.rateLimits ?? { perAddress: { burst: 100_000, perSecond: 100_000 }, perCustomer: { burst: 100_000, perSecond: 100_000 } },
        redisUrl: options.redisUrl,
      },
      { ...listen, port },
    );
  const gateway = await startGatewayOn(gatewayPort);
  for (const counter of Object.values(statements)) counter.reset();

  const running = new Map<string, RunningService>([
    ['gateway', gateway],
    ['reviews', reviews],
    ['orders', orders],
    ['accounts', accounts.service],
    ['products', products],
  ]);
  const replicas: RunningService[] = [];
  const supergraph: TestSupergraph = {
    ...graphqlClient(`${gateway.url}/graphql`),
    gatewayUrl: gateway.url,
    subgraphUrls,
    metricsUrls: { gateway: gateway.metricsUrl, accounts: accounts.service.metricsUrl, orders: orders.metricsUrl, products: products.metricsUrl, reviews: reviews.metricsUrl },
    jwksUrl,
    statements,
    sweepOrders: (abandonedAfterSeconds = 0) => recovery.sweep(abandonedAfterSeconds),
    logs,
    databaseUrls: Object.fromEntries(HARNESS_SUBGRAPHS.map((name) => [name, databaseUrl(serverUrl, names[name])])) as Record<HarnessSubgraph, string>,
    get keys() {
      const { privateKeyPem, publicKeyPem, kid } = accounts.signingKey;
      return { privateKeyPem, publicKeyPem, kid };
    },
    serviceKeysDir,
    serviceToken: (caller, audience) => supergraph.serviceCredentials(caller).token(audience),
    serviceCredentials: (caller) => ({ gateway: gatewayCredentials, orders: ordersCredentials, reviews: reviewsCredentials })[caller],
    async stopService(name) {
      await running.get(name)?.stop();
      running.delete(name);
    },
    stopSubgraph: (name) => supergraph.stopService(name),
    async restartAccounts(keyOptions) {
      await running.get('accounts')?.stop();
      running.delete('accounts');
      accounts = await startAccounts(keyOptions, accountsPort, accounts.service.metricsPort);
      running.set('accounts', accounts.service);
    },
    async restartProducts() {
      await running.get('products')?.stop();
      running.set('products', await startProducts(products.port, products.metricsPort));
    },
    async startGatewayReplica(settings) {
      // Its lines carry `replica`, so that a test can tell the gateways' logs apart.
      const replica = await startGatewayOn(0, logger('gateway').child({ replica: replicas.length + 2 }), settings);
      replicas.push(replica);
      return { url: replica.url, metricsUrl: replica.metricsUrl };
    },
    async stop() {
      for (const replica of replicas) await replica.stop();
      for (const service of running.values()) await service.stop();
      await Promise.all([accountsDb.close(), ordersDb.close(), productsDb.close(), reviewsDb.close()]);
      await Promise.all(Object.values(names).map((name) => dropDatabase(serverUrl, name)));
      await rm(serviceKeysDir, { recursive: true, force: true });
    },
  };
  return supergraph;
}
