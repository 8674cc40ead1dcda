// (b) The monolith: GreenCart's subgraphs served as ONE non-federated GraphQL schema by one
// `@apollo/server`, in one process, with no gateway and no HTTP between services.
//
// It runs the subgraphs' own code, as their workspaces export it: their resolver maps, their context
// factories (and so their loaders, services and SQL), on their own databases. Only the wiring
// differs from the supergraph:
//
// - The schema is the supergraph's API schema (client/schema.graphql: what our gateway exposes,
//   nothing @inaccessible), built with graphql-js's `buildSchema`.
// - Which subgraph resolves which field is read from supergraph.graphql, as the query planner reads
//   it: a field's owners are the subgraphs of its @join__field directives (external ones left out),
//   or every subgraph of its type's @join__type when it has none. Each field gets its owner's
//   resolver, called with its owner's context (the per-request context holds one per subgraph).
// - Entities split across subgraphs (Customer: accounts, orders and reviews; Product: products,
//   referenced by orders and reviews; PaymentMethod: accounts, referenced by orders; ReviewAuthor:
//   accounts, referenced by reviews) are where federation's entity
//   resolution comes in. Every object such a type's field receives is marked with the subgraph that
//   produced it (its origin). A field its origin also resolves runs at once on the object; a field
//   owned only by another subgraph first turns the object into that subgraph's entity with its
//   `__resolveReference`, called with a representation of the key as the gateway would send it
//   (`{ __typename, id }`). That is memoised per object and subgraph (so a Product's name, price and
//   stock resolve it once), and the subgraphs' `__resolveReference`s use their dataloaders, so a
//   list of references costs one statement, as one `_entities` call does behind the gateway.
// - The customer's token is verified once per request, locally, against the published keys (as
//   targets.ts builds them for the subgraphs); each subgraph's context factory then builds its usual
//   context for that user, with `caller: 'gateway'`, the header, client address and request id,
//   as the gateway would pass them on.
// - Orders' calls to its siblings (catalogue prices, stock for placeOrder, addresses and cards for
//   payOrder) go through an in-process SubgraphClient: the operation orders would POST is executed
//   against the sibling's own federated subgraph schema, with the sibling's context factory, caller
//   'orders' and the customer's token, exactly what the HTTP endpoint would run minus HTTP. So M1
//   (placeOrder) works too, all in one process. Reviews' calls (products' _entities, orders'
//   purchases) go the same way, with caller 'reviews'.
//
// Production-like, as the other targets: introspection, landing page, usage reporting and stack
// traces off (platform's startGraphQLService with production: true, the HTTP stack every GreenCart
// service uses), warn-level logs. Not included: the gateway's request limits (depth, aliases, cost,
// tokens), its rate limits, its deadline and persisted documents; the invoice print route.
import { randomBytes, randomUUID } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import {
  buildSchema,
  defaultFieldResolver,
  execute,
  getNamedType,
  GraphQLScalarType,
  isAbstractType,
  isEnumType,
  isObjectType,
  isScalarType,
  Kind,
  parse,
  validate,
  type ConstDirectiveNode,
  type DocumentNode,
  type GraphQLFieldResolver,
  type GraphQLObjectType,
  type GraphQLResolveInfo,
  type GraphQLSchema,
} from 'graphql';
import {
  authenticate,
  buildSubgraphSchemaFromFile,
  buildUserTokenKeySet,
  ChangeFanOut,
  createLocalUserTokenVerifier,
  createLogger,
  createUserTokenIssuer,
  publishedKeySet,
  repositoryRoot,
  ServiceCallError,
  startGraphQLService,
  type AuthenticatedUser,
  type IncomingGraphQLRequest,
  type Logger,
  type ServiceName,
  type SubgraphClient,
  type SubgraphRequestOptions,
  type UserTokenVerifier,
} from '@greencart/platform';
import { accountsResolvers, createAccountsContextFactory, prepareAccountsDatabase, type AccountsContext } from '@greencart/accounts';
import {
  createAccountsClient,
  createInvoiceLinks,
  createOrdersContextFactory,
  createStockClient,
  createTestPaymentProcessor,
  ordersResolvers,
  prepareOrdersDatabase,
  type OrdersContext,
  type OrdersContextDependencies,
} from '@greencart/orders';
import { createProductsContextFactory, prepareProductsDatabase, productsResolvers, type ProductsContext } from '@greencart/products';
import { createCatalogueClient, createPurchasesClient, createReviewsContextFactory, prepareReviewsDatabase, reviewsResolvers, type ReviewsContext } from '@greencart/reviews';
import { BENCH_DATABASES, TOKEN_SETTINGS, type DatabaseName } from './common.js';

/** The subgraphs, by their names in supergraph.graphql (`join__Graph`); each has a database of its name. */
type SubgraphName = DatabaseName;
const SUBGRAPH_NAMES: readonly SubgraphName[] = ['accounts', 'orders', 'products', 'reviews'];

/** What every resolver of the monolith gets: each subgraph's own context, built for this request. */
type MonolithContext = { accounts: AccountsContext; orders: OrdersContext; products: ProductsContext; reviews: ReviewsContext };

type Resolver = GraphQLFieldResolver<unknown, unknown>;
type ResolverMap = Record<string, unknown>;

/** The subgraphs' resolver maps, as they give them to buildSubgraphSchema. */
const SUBGRAPH_RESOLVERS: Record<SubgraphName, ResolverMap> = {
  accounts: accountsResolvers as unknown as ResolverMap,
  orders: ordersResolvers as unknown as ResolverMap,
  products: productsResolvers as unknown as ResolverMap,
  reviews: reviewsResolvers as unknown as ResolverMap,
};

const subgraphSchemaFile = (subgraph: SubgraphName) => new URL(`../../subgraphs/${subgraph}/schema.graphql`, import.meta.url);

export interface MonolithOptions {
  /** PostgreSQL server URL; the databases are BENCH_DATABASES. */
  serverUrl: string;
  /** Accounts' signing key (PKCS#8 PEM), as TargetSettings in targets.ts. */
  privateKeyPem: string;
  /** Called with every SQL statement sent, and the database it went to. */
  onStatement(database: DatabaseName, statement: string): void;
  port: number;
  host: string;
}

/** Starts the monolith; it answers POST `${url}/graphql`. */
export async function startMonolith(options: MonolithOptions): Promise<{ url: string; stop(): Promise<void> }> {
  const { serverUrl } = options;
  const logger = createLogger('monolith', 'warn', 'json');
  const counted = (database: DatabaseName) => (statement: string) => options.onStatement(database, statement);
  const [accountsDatabase, ordersDatabase, productsDatabase, reviewsDatabase] = await Promise.all([
    prepareAccountsDatabase({ serverUrl, name: BENCH_DATABASES.accounts, onStatement: counted('accounts') }),
    prepareOrdersDatabase({ serverUrl, name: BENCH_DATABASES.orders, onStatement: counted('orders') }),
    prepareProductsDatabase({ serverUrl, name: BENCH_DATABASES.products, onStatement: counted('products') }),
    prepareReviewsDatabase({ serverUrl, name: BENCH_DATABASES.reviews, onStatement: counted('reviews') }),
  ]);

  const keySet = await buildUserTokenKeySet({ privateKeyPem: options.privateKeyPem });
  const verifier = createLocalUserTokenVerifier({ ...TOKEN_SETTINGS, keySet: await publishedKeySet(keySet) });
  const issuer = await createUserTokenIssuer({ ...TOKEN_SETTINGS, signingKey: keySet.signingKey, ttlSeconds: 900 });

  // The monolith serves no subscriptions: nothing feeds changes to it.
  const productChanges = new ChangeFanOut();
  const orderChanges = new ChangeFanOut();

  // Orders' and reviews' siblings, in process: their own subgraph schemas and context factories.
  const productsSchema = buildSubgraphSchemaFromFile(subgraphSchemaFile('products'), productsResolvers);
  const productsAsCalledBy = (caller: ServiceName) =>
    inProcessSubgraphClient({
      name: 'products',
      schema: productsSchema,
      context: createProductsContextFactory({ database: productsDatabase, verifier, productChanges }),
      caller,
      logger: createLogger('products', 'warn', 'json'),
    });
  const productsForOrders = productsAsCalledBy('orders');
  const accountsForOrders = inProcessSubgraphClient({
    name: 'accounts',
    schema: buildSubgraphSchemaFromFile(subgraphSchemaFile('accounts'), accountsResolvers),
    context: createAccountsContextFactory({ database: accountsDatabase, verifier, issuer }),
    caller: 'orders',
    logger: createLogger('accounts', 'warn', 'json'),
  });
  const ordersDependencies: Omit<OrdersContextDependencies, 'verifier'> = {
    database: ordersDatabase,
    products: productsForOrders,
    stock: createStockClient(productsForOrders),
    accounts: createAccountsClient(accountsForOrders),
    processor: createTestPaymentProcessor(),
    orderChanges,
    // Invoice.printUrl points here, though the monolith does not serve the print route.
    invoiceLinks: createInvoiceLinks({ secret: randomBytes(32).toString('base64url'), publicUrl: `http://${options.host}:${options.port}` }),
  };
  const ordersForReviews = inProcessSubgraphClient({
    name: 'orders',
    schema: buildSubgraphSchemaFromFile(subgraphSchemaFile('orders'), ordersResolvers),
    context: createOrdersContextFactory({ ...ordersDependencies, verifier }),
    caller: 'reviews',
    logger: createLogger('orders', 'warn', 'json'),
  });
  const reviewsDependencies = { database: reviewsDatabase, catalogue: createCatalogueClient(productsAsCalledBy('reviews')), purchases: createPurchasesClient(ordersForReviews) };

  const context = async (request: IncomingGraphQLRequest): Promise<MonolithContext> => {
    // Verified once; the subgraphs' factories are then given that user instead of verifying again.
    const user = await authenticate(verifier, request.headers.authorization);
    const alreadyVerified = verifiedAs(user);
    // What each subgraph would be told of this request by the gateway.
    const forwarded: IncomingGraphQLRequest = { ...request, caller: 'gateway' };
    const [accounts, orders, products, reviews] = await Promise.all([
      createAccountsContextFactory({ database: accountsDatabase, verifier: alreadyVerified, issuer })(forwarded),
      createOrdersContextFactory({ ...ordersDependencies, verifier: alreadyVerified })(forwarded),
      createProductsContextFactory({ database: productsDatabase, verifier: alreadyVerified, productChanges })(forwarded),
      createReviewsContextFactory({ ...reviewsDependencies, verifier: alreadyVerified })(forwarded),
    ]);
    return { accounts, orders, products, reviews };
  };

  const [apiSchemaSdl, supergraphSdl] = await Promise.all([readFile(`${repositoryRoot}/client/schema.graphql`, 'utf8'), readFile(`${repositoryRoot}/supergraph.graphql`, 'utf8')]);
  const databases = [accountsDatabase, ordersDatabase, productsDatabase, reviewsDatabase];
  const service = await startGraphQLService<MonolithContext>(
    {
      // ServiceName has no entry for the monolith: it stands where the gateway would (metrics, /health).
      name: 'gateway',
      schema: buildMonolithSchema(apiSchemaSdl, readOwnership(supergraphSdl)),
      context,
      production: true,
      logger,
      isReady: async () => (await Promise.all(databases.map(async (database) => (await database.sql`select 1 as ok`).length === 1))).every(Boolean),
    },
    { port: options.port, host: options.host },
  );
  return {
    url: service.url,
    async stop() {
      await service.stop();
      await Promise.all(databases.map((database) => database.close()));
    },
  };
}

/** A verifier that knows the answer already: the user verified from this very header (undefined when anonymous). */
function verifiedAs(user: AuthenticatedUser | undefined): UserTokenVerifier {
  return {
    async verify() {
      // authenticate() asks only when there is a token, and then `user` is the one it names.
      if (!user) throw new Error('a token was verified that the request did not carry');
      return user;
    },
  };
}

// ---------------------------------------------------------------- who resolves what (supergraph.graphql)

/** One type of the supergraph as the subgraphs share it. */
interface TypeOwnership {
  /** The subgraphs that define the type (@join__type). */
  subgraphs: SubgraphName[];
  /** The subgraphs that resolve it by reference, with the key fields they take (a resolvable @join__type key). */
  referenceKeys: Map<SubgraphName, string[]>;
  /** Each field's owners: the subgraphs that resolve it. */
  fieldOwners: Map<string, SubgraphName[]>;
}

const argumentOf = (directive: ConstDirectiveNode, name: string) => directive.arguments?.find((argument) => argument.name.value === name)?.value;

/** Reads each object type's subgraphs, reference keys and field owners from a supergraph's join directives. */
function readOwnership(supergraphSdl: string): Map<string, TypeOwnership> {
  const document = parse(supergraphSdl);
  // join__Graph enum value (ACCOUNTS) → subgraph name ("accounts").
  const subgraphOf = new Map<string, SubgraphName>();
  for (const definition of document.definitions) {
    if (definition.kind !== Kind.ENUM_TYPE_DEFINITION || definition.name.value !== 'join__Graph') continue;
    for (const value of definition.values ?? []) {
      const name = value.directives?.find((directive) => directive.name.value === 'join__graph');
      const nameValue = name && argumentOf(name, 'name');
      const subgraph = nameValue?.kind === Kind.STRING ? nameValue.value : undefined;
      if (!subgraph || !SUBGRAPH_NAMES.includes(subgraph as SubgraphName)) throw new Error(`the supergraph names a subgraph the monolith does not know: ${subgraph ?? value.name.value}`);
      subgraphOf.set(value.name.value, subgraph as SubgraphName);
    }
  }
  const graphArgument = (directive: ConstDirectiveNode) => {
    const value = argumentOf(directive, 'graph');
    return value?.kind === Kind.ENUM ? subgraphOf.get(value.value) : undefined;
  };
  const isTrue = (directive: ConstDirectiveNode, name: string) => {
    const value = argumentOf(directive, name);
    return value?.kind === Kind.BOOLEAN && value.value;
  };

  const types = new Map<string, TypeOwnership>();
  for (const definition of document.definitions) {
    if (definition.kind !== Kind.OBJECT_TYPE_DEFINITION) continue;
    const typeName = definition.name.value;
    const joinTypes = (definition.directives ?? []).filter((directive) => directive.name.value === 'join__type');
    const subgraphs = [...new Set(joinTypes.map(graphArgument).filter((subgraph) => subgraph !== undefined))];
    const referenceKeys = new Map<SubgraphName, string[]>();
    for (const joinType of joinTypes) {
      const subgraph = graphArgument(joinType);
      const key = argumentOf(joinType, 'key');
      const resolvable = argumentOf(joinType, 'resolvable');
      if (!subgraph || key?.kind !== Kind.STRING || (resolvable?.kind === Kind.BOOLEAN && !resolvable.value) || referenceKeys.has(subgraph)) continue;
      if (key.value.includes('{')) throw new Error(`${typeName}: nested keys (${key.value}) are not supported by the monolith`);
      referenceKeys.set(subgraph, key.value.trim().split(/\s+/));
    }
    const fieldOwners = new Map<string, SubgraphName[]>();
    for (const field of definition.fields ?? []) {
      const joinFields = (field.directives ?? []).filter((directive) => directive.name.value === 'join__field' && graphArgument(directive) !== undefined);
      if (joinFields.some((directive) => argumentOf(directive, 'requires'))) throw new Error(`${typeName}.${field.name.value}: @requires is not supported by the monolith`);
      // External fields are another subgraph's; a field overridden but kept for its old owner's keys is the new owner's.
      const owners = joinFields.filter((directive) => !isTrue(directive, 'external') && !isTrue(directive, 'usedOverridden')).map((directive) => graphArgument(directive)!);
      fieldOwners.set(field.name.value, joinFields.length > 0 ? [...new Set(owners)] : subgraphs);
    }
    types.set(typeName, { subgraphs, referenceKeys, fieldOwners });
  }
  return types;
}

// ---------------------------------------------------------------- the one schema

/** The subgraph whose resolver produced each object that a field of a split entity receives. */
const origins = new WeakMap<object, SubgraphName>();

const isPromiseLike = (value: unknown): value is PromiseLike<unknown> => value !== null && typeof value === 'object' && typeof (value as { then?: unknown }).then === 'function';

/** Marks a resolver's result (an object, a list, a promise of either) as produced by `subgraph`. */
function markOrigin(value: unknown, subgraph: SubgraphName): unknown {
  if (isPromiseLike(value)) return value.then((resolved) => markOrigin(resolved, subgraph));
  if (Array.isArray(value)) {
    if (value.some(isPromiseLike)) return value.map((item) => markOrigin(item, subgraph));
    for (const item of value) markOrigin(item, subgraph);
  } else if (value !== null && typeof value === 'object') {
    origins.set(value, subgraph);
  }
  return value;
}

/** A subgraph's resolver of one field, if it has one (a function, or `{ resolve }`). */
function ownResolver(subgraph: SubgraphName, typeName: string, fieldName: string): Resolver | undefined {
  const value = (SUBGRAPH_RESOLVERS[subgraph][typeName] as ResolverMap | undefined)?.[fieldName];
  if (value === undefined) return undefined;
  if (typeof value === 'function') return value as Resolver;
  const resolve = (value as { resolve?: unknown } | null)?.resolve;
  if (typeof resolve === 'function') return resolve as Resolver;
  throw new Error(`${subgraph}'s resolver of ${typeName}.${fieldName} is neither a function nor { resolve }`);
}

/** A subgraph's resolver (or the default property read) called with that subgraph's context. */
function inContextOf(subgraph: SubgraphName, resolver: Resolver | undefined): Resolver {
  if (!resolver) return defaultFieldResolver;
  return (parent, args, context, info) => resolver(parent, args, (context as MonolithContext)[subgraph], info);
}

/**
 * Turns an object of `typeName` produced by another subgraph into `subgraph`'s entity, once per
 * object: its `__resolveReference` with the key as a representation (or the representation itself
 * when it has none, as @apollo/subgraph does). A null entity leaves the field null.
 */
function entityResolver(typeName: string, subgraph: SubgraphName, keyFields: string[]) {
  const resolveReference = (SUBGRAPH_RESOLVERS[subgraph][typeName] as ResolverMap | undefined)?.__resolveReference as
    ((representation: object, context: unknown, info: GraphQLResolveInfo) => unknown) | undefined;
  const entities = new WeakMap<object, Promise<unknown>>();
  return (parent: object, context: MonolithContext, info: GraphQLResolveInfo): Promise<unknown> => {
    let entity = entities.get(parent);
    if (!entity) {
      const representation: Record<string, unknown> = { __typename: typeName };
      for (const field of keyFields) {
        const value = (parent as Record<string, unknown>)[field];
        if (value === undefined) throw new Error(`${typeName} from ${origins.get(parent)} has no ${field} to resolve it in ${subgraph}`);
        representation[field] = value;
      }
      entity = Promise.resolve(resolveReference ? resolveReference(representation, context[subgraph], info) : representation);
      entities.set(parent, entity);
    }
    return entity;
  };
}

/**
 * The schema the gateway exposes, answered by the subgraphs' resolvers: each field by its owner,
 * split entities resolved across subgraphs as described at the top of this file.
 */
function buildMonolithSchema(apiSchemaSdl: string, ownership: Map<string, TypeOwnership>): GraphQLSchema {
  const schema = buildSchema(apiSchemaSdl);
  const rootTypes = new Set([schema.getQueryType(), schema.getMutationType(), schema.getSubscriptionType()].filter((type) => type != null));
  const objectTypes: GraphQLObjectType[] = [];
  for (const type of Object.values(schema.getTypeMap())) {
    if (type.name.startsWith('__')) continue;
    if (isAbstractType(type)) throw new Error(`${type.name}: interfaces and unions are not supported by the monolith`);
    if (isEnumType(type) && SUBGRAPH_NAMES.some((subgraph) => SUBGRAPH_RESOLVERS[subgraph][type.name] !== undefined)) {
      throw new Error(`${type.name}: enum value resolvers are not supported by the monolith`);
    }
    if (isScalarType(type)) adoptScalar(type);
    if (isObjectType(type)) objectTypes.push(type);
  }

  const ownershipOf = (type: GraphQLObjectType) => {
    const found = ownership.get(type.name);
    if (!found) throw new Error(`${type.name} is in client/schema.graphql but not in supergraph.graphql: run npm run compose`);
    return found;
  };
  const ownersOf = (type: GraphQLObjectType, fieldName: string) => {
    const owners = ownershipOf(type).fieldOwners.get(fieldName);
    if (!owners?.length) throw new Error(`${type.name}.${fieldName} has no owning subgraph in supergraph.graphql`);
    return owners;
  };

  // Which types care where their objects came from: those shared by several subgraphs where some
  // field is not resolved alike by all of them (one owner only, or its own resolvers), or returns
  // such a type. (Money or PageInfo, shared but read as plain properties everywhere, do not.)
  const originSensitive = new Set<string>();
  const resolvedAlikeEverywhere = (type: GraphQLObjectType, fieldName: string) => {
    const { subgraphs } = ownershipOf(type);
    const owners = ownersOf(type, fieldName);
    return (
      subgraphs.every((subgraph) => owners.includes(subgraph)) &&
      owners.every((subgraph) => ownResolver(subgraph, type.name, fieldName) === undefined) &&
      !originSensitive.has(getNamedType(type.getFields()[fieldName]!.type).name)
    );
  };
  for (let changed = true; changed;) {
    changed = false;
    for (const type of objectTypes) {
      if (rootTypes.has(type) || originSensitive.has(type.name) || ownershipOf(type).subgraphs.length < 2) continue;
      if (Object.keys(type.getFields()).some((fieldName) => !resolvedAlikeEverywhere(type, fieldName))) {
        originSensitive.add(type.name);
        changed = true;
      }
    }
  }

  for (const type of objectTypes) {
    const { subgraphs, referenceKeys } = ownershipOf(type);
    for (const field of Object.values(type.getFields())) {
      const owners = ownersOf(type, field.name);
      const returnsOriginSensitive = originSensitive.has(getNamedType(field.type).name);
      // The field as `subgraph` resolves it: its resolver in its context, the result marked as its.
      const resolvedBy = (subgraph: SubgraphName): Resolver => {
        const resolve = inContextOf(subgraph, ownResolver(subgraph, type.name, field.name));
        return returnsOriginSensitive ? (parent, args, context, info) => markOrigin(resolve(parent, args, context, info), subgraph) : resolve;
      };

      if (rootTypes.has(type) || subgraphs.length === 1) {
        // One subgraph resolves it whatever the parent (a root field is planned to its owner).
        const owner = owners[0]!;
        field.resolve = ownResolver(owner, type.name, field.name) !== undefined || returnsOriginSensitive ? resolvedBy(owner) : undefined;
        continue;
      }
      // Shared and read alike by all its subgraphs (Money, or Product.id): the default resolver.
      if (!originSensitive.has(type.name) || resolvedAlikeEverywhere(type, field.name)) continue;

      const resolveIn = new Map(owners.map((owner) => [owner, resolvedBy(owner)]));
      // Objects from a subgraph that does not own the field are resolved as entities of an owner.
      const entityOwner = owners.find((owner) => referenceKeys.has(owner));
      const toEntity = entityOwner && entityResolver(type.name, entityOwner, referenceKeys.get(entityOwner)!);
      const resolveAsEntity = entityOwner && resolveIn.get(entityOwner)!;
      field.resolve = (parent, args, context, info) => {
        const origin = origins.get(parent as object);
        if (origin === undefined) throw new Error(`${type.name}.${field.name}: the object comes from no known subgraph`);
        const ownResolve = resolveIn.get(origin);
        if (ownResolve) return ownResolve(parent, args, context, info);
        if (!toEntity || !resolveAsEntity) throw new Error(`${type.name}.${field.name}: no owner resolves ${type.name} by reference from ${origin}`);
        return toEntity(parent as object, context as MonolithContext, info).then((entity) => (entity == null ? null : resolveAsEntity(entity, args, context, info)));
      };
    }
  }
  return schema;
}

/** A custom scalar takes its subgraphs' implementation (the first subgraph that has one). */
function adoptScalar(scalar: GraphQLScalarType): void {
  for (const subgraph of SUBGRAPH_NAMES) {
    const implementation = SUBGRAPH_RESOLVERS[subgraph][scalar.name];
    if (!(implementation instanceof GraphQLScalarType)) continue;
    scalar.serialize = implementation.serialize;
    scalar.parseValue = implementation.parseValue;
    scalar.parseLiteral = implementation.parseLiteral;
    return;
  }
}

// ---------------------------------------------------------------- orders' siblings, in process

/**
 * A SubgraphClient that runs the operation against the sibling's own federated schema in this
 * process: a context from the sibling's factory (caller as named, the user's token when passed on),
 * then graphql-js `execute`. Failures are ServiceCallErrors, as over HTTP.
 */
function inProcessSubgraphClient(settings: {
  name: SubgraphName;
  schema: GraphQLSchema;
  context: (request: IncomingGraphQLRequest) => Promise<unknown>;
  caller: ServiceName;
  logger: Logger;
  requestId?: string;
  /** Parsed and validated operations, by text (shared by the client's per-request copies). */
  documents?: Map<string, DocumentNode>;
}): SubgraphClient {
  const documents = settings.documents ?? new Map<string, DocumentNode>();
  const documentOf = (query: string): DocumentNode => {
    let document = documents.get(query);
    if (!document) {
      document = parse(query);
      const errors = validate(settings.schema, document);
      if (errors.length) throw new ServiceCallError(`${settings.name} failed: ${errors.map((error) => error.message).join('; ')}`);
      documents.set(query, document);
    }
    return document;
  };
  return {
    async request<Data>(query: string, variables: Record<string, unknown>, options: SubgraphRequestOptions = {}): Promise<Data> {
      const requestId = options.requestId ?? settings.requestId ?? randomUUID();
      let result: Awaited<ReturnType<typeof execute>>;
      try {
        const contextValue = await settings.context({
          headers: options.authorization ? { authorization: options.authorization } : {},
          caller: settings.caller,
          clientAddress: undefined,
          requestId,
          logger: settings.logger.child({ requestId }),
        });
        result = await execute({ schema: settings.schema, document: documentOf(query), variableValues: variables, contextValue });
      } catch (error) {
        if (error instanceof ServiceCallError) throw error;
        throw new ServiceCallError(`${settings.name} failed: ${(error as Error).message}`, { cause: error });
      }
      if (!result.data || result.errors?.length) {
        throw new ServiceCallError(`${settings.name} failed: ${result.errors?.map((error) => error.message).join('; ') ?? 'no data'}`);
      }
      return result.data as Data;
    },
    forRequest: (requestId) => inProcessSubgraphClient({ ...settings, requestId, documents }),
  };
}
