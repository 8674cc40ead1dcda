import { randomBytes } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { exportPKCS8, exportSPKI, generateKeyPair } from 'jose';
import { inject } from 'vitest';
import {
  createLogger,
  createServiceCredentials,
  createSubgraphClient,
  createUserTokenIssuer,
  createUserTokenVerifier,
  databaseUrl,
  dropDatabase,
  repositoryRoot,
  type LogLevel,
  type RunningService,
} from '@greencart/platform';
import { prepareAccountsDatabase, seedAdministrator, startAccountsService } from '@greencart/accounts';
import { prepareOrdersDatabase, startOrdersService } from '@greencart/orders';
import { prepareProductsDatabase, seedDemoCatalogue, startProductsService } from '@greencart/products';
import { startGateway } from '@greencart/gateway';
import { graphqlClient, type GraphQLClient } from './graphql.js';

export const TOKEN_SETTINGS = { issuer: 'greencart-accounts', audience: 'greencart' } as const;
export const ADMIN = { email: 'admin@greencart.dev', password: 'greencart-admin' } as const;

/** Counts the SQL statements one subgraph sends to its database. */
export class StatementCounter {
  statements: string[] = [];
  readonly record = (statement: string) => {
    this.statements.push(statement);
  };
  get count(): number {
    return this.statements.length;
  }
  reset(): void {
    this.statements = [];
  }
}

export interface TestSupergraph extends GraphQLClient {
  gatewayUrl: string;
  subgraphUrls: { accounts: string; orders: string; products: string };
  statements: { accounts: StatementCounter; orders: StatementCounter; products: StatementCounter };
  /** Each subgraph's own database, for tests that inspect what was (or was not) stored. */
  databaseUrls: { accounts: string; orders: string; products: string };
  /** The key pair and secret this supergraph trusts, for forging tokens in tests. */
  keys: { privateKeyPem: string; publicKeyPem: string; serviceSecret: string };
  /** Stops one subgraph (to test partial failure); stop() skips it afterwards. */
  stopSubgraph(name: 'accounts' | 'orders' | 'products'): Promise<void>;
  stop(): Promise<void>;
}

/**
 * The whole supergraph for one test file: fresh databases on the run's PostgreSQL server, the three
 * subgraphs and the gateway as real HTTP servers on free ports, wired as in production.
 */
export async function startSupergraph(options: { seedCatalogue?: boolean } = {}): Promise<TestSupergraph> {
  const serverUrl = inject('postgresServerUrl');
  const suffix = randomBytes(5).toString('hex');
  const names = { accounts: `test_${suffix}_accounts`, orders: `test_${suffix}_orders`, products: `test_${suffix}_products` };
  const statements = { accounts: new StatementCounter(), orders: new StatementCounter(), products: new StatementCounter() };
  const level = (process.env.TEST_LOG_LEVEL ?? 'silent') as LogLevel;

  const pair = await generateKeyPair('ES256', { extractable: true });
  const keys = { privateKeyPem: await exportPKCS8(pair.privateKey), publicKeyPem: await exportSPKI(pair.publicKey), serviceSecret: randomBytes(32).toString('base64url') };
  const verifier = await createUserTokenVerifier({ ...TOKEN_SETTINGS, publicKeyPem: keys.publicKeyPem });
  const issuer = await createUserTokenIssuer({ ...TOKEN_SETTINGS, ...keys, ttlSeconds: 900 });
  const credentialsFor = (serviceName: 'gateway' | 'accounts' | 'orders' | 'products') => createServiceCredentials({ secret: keys.serviceSecret, serviceName });
  const listen = { port: 0, host: '127.0.0.1' };

  const [accountsDb, ordersDb, productsDb] = await Promise.all([
    prepareAccountsDatabase({ serverUrl, name: names.accounts, onStatement: statements.accounts.record }),
    prepareOrdersDatabase({ serverUrl, name: names.orders, onStatement: statements.orders.record }),
    prepareProductsDatabase({ serverUrl, name: names.products, onStatement: statements.products.record }),
  ]);
  await seedAdministrator(accountsDb.db, ADMIN.password);
  if (options.seedCatalogue ?? true) await seedDemoCatalogue(productsDb.db);

  const common = { verifier, production: false };
  const products = await startProductsService({ ...common, database: productsDb, credentials: credentialsFor('products'), logger: createLogger('products', level) }, listen);
  const accounts = await startAccountsService({ ...common, database: accountsDb, issuer, credentials: credentialsFor('accounts'), logger: createLogger('accounts', level) }, listen);
  const ordersCredentials = credentialsFor('orders');
  const orders = await startOrdersService(
    {
      ...common,
      database: ordersDb,
      credentials: ordersCredentials,
      products: createSubgraphClient({ name: 'products', url: products.url, credentials: ordersCredentials, timeoutMs: 5_000 }),
      logger: createLogger('orders', level),
    },
    listen,
  );
  const subgraphUrls = { accounts: accounts.url, orders: orders.url, products: products.url };
  const gateway = await startGateway(
    {
      ...common,
      supergraphSdl: await readFile(`${repositoryRoot}/supergraph.graphql`, 'utf8'),
      subgraphUrls,
      credentials: credentialsFor('gateway'),
      logger: createLogger('gateway', level),
      subgraphTimeoutMs: 5_000,
    },
    listen,
  );
  for (const counter of Object.values(statements)) counter.reset();

  const running = new Map<string, RunningService>([['gateway', gateway], ['orders', orders], ['accounts', accounts], ['products', products]]);
  return {
    ...graphqlClient(`${gateway.url}/graphql`),
    gatewayUrl: gateway.url,
    subgraphUrls,
    statements,
    databaseUrls: { accounts: databaseUrl(serverUrl, names.accounts), orders: databaseUrl(serverUrl, names.orders), products: databaseUrl(serverUrl, names.products) },
    keys,
    async stopSubgraph(name) {
      await running.get(name)?.stop();
      running.delete(name);
    },
    async stop() {
      for (const service of running.values()) await service.stop();
      await Promise.all([accountsDb.close(), ordersDb.close(), productsDb.close()]);
      await Promise.all(Object.values(names).map((name) => dropDatabase(serverUrl, name)));
    },
  };
}
