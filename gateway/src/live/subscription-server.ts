import type http from 'node:http';
import { createRequire } from 'node:module';
import type { DocumentNode, ExecutionArgs, ExecutionResult, GraphQLError as GraphQLErrorType, GraphQLFormattedError, GraphQLSchema, OperationDefinitionNode } from 'graphql';
import type { WebSocket } from 'ws';
import { MessageType } from 'graphql-ws';
import { Gauge, type Registry } from 'prom-client';
import { decodeJwt } from 'jose';
import { bearerToken, ErrorCode, isUuid, jsonProblem, type AuthenticatedUser, type Logger, type UserTokenVerifier } from '@greencart/platform';
import { documentHoldsNul, exceedsTokenLimit, requestLimitErrors, type RequestLimits } from '../limits.js';
import { isPersisted } from '../persisted-documents.js';
import type { GatewayRateLimiter } from '../rate-limits.js';
import { ENTITY_ID_VARIABLE, LIVE_FIELDS, liveOperation, type LiveOperation } from './live-operation.js';
import type { EntityChange, SubgraphFeed } from './subgraph-feed.js';
import type { SubscriptionSlot, SubscriptionSlots } from './subscription-slots.js';
import { serveGraphQLOverWebSocket, type WebSocketExtra, type WebSocketLimits } from './websocket-transport.js';

// The gateway's schema belongs to Apollo's CommonJS copy of graphql (see limits.ts).
const { GraphQLError, getArgumentValues, getOperationAST, getVariableValues, Kind, parse, validate } = createRequire(import.meta.url)('graphql') as typeof import('graphql');

/** Who is subscribing, as a query on their behalf needs it. */
export interface Subscriber {
  user: AuthenticatedUser | undefined;
  authorization: string | undefined;
  clientAddress: string | undefined;
  /** When the token of a subscription's own headers expires (seconds since the epoch). */
  expiresAt?: number;
}

/** What one query for a change answered. */
export interface LiveResult {
  data?: Record<string, unknown> | null;
  errors?: readonly GraphQLFormattedError[];
}

/** Runs a query through the gateway (planned, authorised, limited as any), for a subscriber. */
export type LiveQueryExecutor = (query: string, variables: Record<string, unknown>, subscriber: Subscriber) => Promise<LiveResult>;

export interface SubscriptionLimits {
  /** Subscriptions one WebSocket connection may hold at once. */
  perConnection: number;
  /** Subscriptions one customer may hold at once on one gateway process, over all their connections. */
  perCustomer: number;
}

export const DEFAULT_SUBSCRIPTION_LIMITS: SubscriptionLimits = { perConnection: 25, perCustomer: 100 };

/** productUpdated watches 1 to this many products. */
const MAX_PRODUCT_IDS = 100;
/** How long a new subscription waits for its feed to be connected before it starts anyway. */
const FEED_READY_WAIT_MS = 2_000;
/** WebSocket pings keep the connection alive through proxies and find dead clients. */
const KEEP_ALIVE_MS = 12_000;
/**
 * Subscribe-time reads the gateway runs at once, over all subscribers: a flood of subscribes queues
 * here instead of taking the subgraphs from the HTTP queries (each read is a query through the
 * gateway, holding one of a subgraph's 10 database connections).
 */
const MAX_CONCURRENT_SUBSCRIBE_READS = 4;
/** Coercion errors reported for one subscribe's variables (graphql-js stops counting there). */
const MAX_VARIABLE_ERRORS = 10;
/** Events a socket may leave unread, in frames' worth, before it is closed (1013) to reconnect: the gateway holds them meanwhile. */
const UNREAD_FRAMES_PER_SOCKET = 4;
/** The longest delay a Node.js timer takes (about 24.8 days); a longer one fires at once. */
const MAX_TIMER_MS = 2 ** 31 - 1;

export interface SubscriptionServerOptions {
  httpServer: http.Server;
  /** The client's address of an upgrade request, by the same rules as an HTTP request's (TRUST_PROXY). */
  clientAddress: (request: http.IncomingMessage) => string | undefined;
  /** Frame size and sockets per address (see websocket-transport.ts). */
  webSocketLimits: WebSocketLimits;
  /** The gateway's rate limits: each subscribe counts as a request, per address and per customer. */
  rateLimiter: GatewayRateLimiter;
  /** Where each customer's subscriptions are counted (this process's memory, or Redis for every replica). */
  slots: SubscriptionSlots;
  schema: () => GraphQLSchema | undefined;
  execute: LiveQueryExecutor;
  verifier: UserTokenVerifier;
  /** Each entity type's change feed (Order from orders, Product from products). */
  feeds: Record<string, SubgraphFeed>;
  requestLimits: RequestLimits;
  subscriptionLimits: SubscriptionLimits;
  /** The persisted-documents manifest when only the client's operations may run (production). */
  safelist: Record<string, string> | undefined;
  production: boolean;
  logger: Logger;
  /** Where `greencart_subscriptions_active` is counted. */
  registry: Registry;
}

interface ConnectionState {
  subscriber: Subscriber;
  expiry?: LongTimer;
  /** Subscribes still being started: a client that completes them at once does not stop their work, so they are counted apart. */
  starting: number;
  /** What the connection's subscriptions keep while they live (queries, variables, ids), in bytes. */
  heldBytes: number;
}

/** A subscribe message as the server takes it: from which connection, and whether its client still wants it. */
interface SubscribeMessage {
  extra: WebSocketExtra;
  state: ConnectionState;
  id: string;
  payload: { query: string; operationName?: string | null; variables?: Record<string, unknown> | null; extensions?: Record<string, unknown> | null };
  stillWanted: () => boolean;
}

/** A subscription that passed every check of its document and variables. */
interface CheckedSubscription {
  schema: GraphQLSchema;
  document: DocumentNode;
  live: LiveOperation;
  ids: string[];
  variables: Record<string, unknown>;
}

const codedError = (message: string, code: string) => new GraphQLError(message, { extensions: { code } });

/**
 * Subscriptions over WebSocket at `/graphql` (graphql-ws, the graphql-transport-ws protocol), on
 * the gateway's HTTP server. @apollo/gateway cannot execute subscriptions, so each is served as
 * live queries: the subgraph that owns the entity announces each committed change on its feed,
 * and for each change the gateway runs the subscriber's selection as a query for that entity
 * (liveOperation), through the same planner, authorisation and limits as any query.
 */
export function startSubscriptionServer(options: SubscriptionServerOptions): { stop(): Promise<void> } {
  const watchers = new Map<string, Set<LiveSubscription>>();
  const connections = new WeakMap<object, ConnectionState>();
  const subscribeReads = new SharedReads(MAX_CONCURRENT_SUBSCRIBE_READS);
  const active = new Gauge({ name: 'greencart_subscriptions_active', help: 'Subscriptions open on this gateway, by field.', labelNames: ['field'], registers: [options.registry] });

  const watch = (key: string, subscription: LiveSubscription) => {
    const set = watchers.get(key) ?? new Set();
    set.add(subscription);
    watchers.set(key, set);
    return () => {
      set.delete(subscription);
      if (set.size === 0) watchers.delete(key);
    };
  };
  // Shared reads are delivered in commit order, one step per change for all its subscribers.
  let sharedDeliveries: Promise<void> = Promise.resolve();
  const changed = (id: string, subscriptions: Iterable<LiveSubscription>, onlyIfDifferent: boolean) => {
    const groups = new Map<string, LiveSubscription[]>();
    for (const subscription of subscriptions) {
      const key = subscription.sharingKey;
      if (key === undefined) subscription.changed(id, onlyIfDifferent);
      else if (groups.has(key)) groups.get(key)!.push(subscription);
      else groups.set(key, [subscription]);
    }
    for (const group of groups.values()) {
      const answer = group[0]!.read(id);
      sharedDeliveries = sharedDeliveries
        .then(async () => {
          const payload = eventPayload(group[0]!.responseKey, await answer);
          if (payload !== undefined) for (const subscription of group) subscription.deliver(id, payload, onlyIfDifferent);
        })
        .catch((error: unknown) => options.logger.error('could not deliver a change to its subscribers', { error: error instanceof Error ? error.message : String(error) }));
    }
  };
  const unlisten = Object.entries(options.feeds).map(([typename, feed]) =>
    feed.listen({
      change: (change: EntityChange) => changed(change.id, watchers.get(`${change.typename}:${change.id}`) ?? [], false),
      resync: () => {
        for (const [key, subscriptions] of watchers) {
          if (key.startsWith(`${typename}:`)) changed(key.slice(typename.length + 1), subscriptions, true);
        }
      },
    }),
  );

  /**
   * Who a subscription runs as: the connection's signed-in user, or, for a client that sends its
   * headers with each subscription as GraphiQL does (`extensions.headers.Authorization`), the
   * user that token names, for this subscription alone and only until the token expires.
   */
  const subscriberOf = async (connection: Subscriber, extensions: Record<string, unknown> | null | undefined): Promise<Subscriber | GraphQLErrorType> => {
    const headers = extensions?.headers as Record<string, unknown> | undefined;
    const header = headers?.authorization ?? headers?.Authorization;
    if (typeof header !== 'string' || header.trim() === '') return connection;
    try {
      const token = bearerToken(header);
      if (token === undefined) return connection;
      const user = await options.verifier.verify(token);
      return { user, authorization: `Bearer ${token}`, clientAddress: connection.clientAddress, expiresAt: decodeJwt(token).exp };
    } catch (error) {
      const code = (error as { extensions?: { code?: unknown } }).extensions?.code;
      if (code === ErrorCode.UNAUTHENTICATED) return codedError((error as Error).message, ErrorCode.UNAUTHENTICATED);
      throw error;
    }
  };

  /** The rate limits' refusal as this protocol sends it; any other failure goes on. */
  const rateLimited = async (check: Promise<void>): Promise<GraphQLErrorType | undefined> => {
    try {
      await check;
      return undefined;
    } catch (error) {
      if ((error as { extensions?: { code?: unknown } }).extensions?.code === ErrorCode.RATE_LIMITED) return error as GraphQLErrorType;
      throw error;
    }
  };

  const transport = serveGraphQLOverWebSocket<Record<string, unknown> | undefined>({
    httpServer: options.httpServer,
    path: '/graphql',
    limits: options.webSocketLimits,
    clientAddress: options.clientAddress,
    logger: options.logger,
    registry: options.registry,
    keepAliveMs: KEEP_ALIVE_MS,
    graphqlWs: {
      schema: () => options.schema() as GraphQLSchema,
      onConnect: async (ctx) => {
        const header = ctx.connectionParams?.authorization ?? ctx.connectionParams?.Authorization;
        let user: AuthenticatedUser | undefined;
        let token: string | undefined;
        try {
          token = bearerToken(typeof header === 'string' ? header : undefined);
          user = token === undefined ? undefined : await options.verifier.verify(token);
        } catch (error) {
          if ((error as { extensions?: { code?: unknown } }).extensions?.code === ErrorCode.UNAUTHENTICATED) return false; // 4403
          throw error;
        }
        const state: ConnectionState = { subscriber: { user, authorization: token && `Bearer ${token}`, clientAddress: ctx.extra.clientAddress }, starting: 0, heldBytes: 0 };
        const expiresAt = token ? decodeJwt(token).exp : undefined;
        // A connection lives no longer than its token: 4401 tells the client to reconnect with a fresh one.
        if (expiresAt) state.expiry = setLongTimeout(() => ctx.extra.socket.close(4401, 'Token expired'), expiresAt * 1000 - Date.now());
        connections.set(ctx.extra.socket, state);
        return true;
      },
      onClose: (ctx) => {
        connections.get(ctx.extra.socket)?.expiry?.clear();
      },
      onSubscribe: async (ctx, id, payload) => {
        const state = connections.get(ctx.extra.socket);
        if (!state) return [codedError('The gateway is not ready yet.', 'SERVICE_UNAVAILABLE')];
        // graphql-ws has already reserved this subscription's id among the connection's.
        if (Object.keys(ctx.subscriptions).length > options.subscriptionLimits.perConnection || state.starting >= options.subscriptionLimits.perConnection) {
          return [codedError(`A connection may hold at most ${options.subscriptionLimits.perConnection} subscriptions.`, ErrorCode.RATE_LIMITED)];
        }
        state.starting += 1;
        try {
          return await subscribe({ extra: ctx.extra, state, id, payload, stillWanted: () => id in ctx.subscriptions });
        } finally {
          state.starting -= 1;
        }
      },
      // Events carry errors already formatted by the gateway (codes, masking), which graphql-ws sends as they are.
      subscribe: (args) => (args.contextValue as LiveSubscription).events() as unknown as AsyncIterableIterator<ExecutionResult>,
      onError: (_ctx, _id, _payload, errors) =>
        errors.map((error) => {
          const { code, retryAfterSeconds } = error.extensions ?? {};
          return { message: error.message, extensions: { code: typeof code === 'string' ? code : 'BAD_REQUEST', ...(typeof retryAfterSeconds === 'number' ? { retryAfterSeconds } : {}) } };
        }),
    },
  });

  /** One subscribe message: refused (the errors to send), or the subscription, started and watching. */
  const subscribe = async (message: SubscribeMessage): Promise<ExecutionArgs | GraphQLErrorType[]> => {
    const { state, id, payload } = message;
    // Counted as a request is, per address before any token is verified.
    const overAddressLimit = await rateLimited(options.rateLimiter.checkAddress(state.subscriber.clientAddress));
    if (overAddressLimit) return [overAddressLimit];
    const schema = options.schema();
    if (!schema) return [codedError('The gateway is not ready yet.', 'SERVICE_UNAVAILABLE')];
    if (exceedsTokenLimit(payload.query, options.requestLimits.maxTokens)) return [codedError(`Token limit of ${options.requestLimits.maxTokens} exceeded.`, ErrorCode.BAD_USER_INPUT)];
    let document: DocumentNode;
    try {
      document = parse(payload.query);
    } catch (error) {
      return [codedError((error as Error).message, 'GRAPHQL_PARSE_FAILED')];
    }
    if (options.safelist && !isPersisted(options.safelist, document)) {
      return [codedError('Only the operations of the GreenCart client (its persisted documents) run here.', ErrorCode.OPERATION_NOT_IN_SAFELIST)];
    }
    // As over HTTP: no NUL in any text, written as an escape in the document or in the variables.
    const variablesProblem = jsonProblem(payload.variables ?? {});
    if (documentHoldsNul(document) || variablesProblem === 'nul') return [codedError('Text in a request must not contain NUL characters.', ErrorCode.BAD_USER_INPUT)];
    if (variablesProblem === 'too deep') return [codedError('The variables nest objects or lists too deep.', 'BAD_REQUEST')];
    const invalid = validate(schema, document);
    if (invalid.length > 0) return invalid.map((error) => codedError(error.message, 'GRAPHQL_VALIDATION_FAILED'));
    const operation = getOperationAST(document, payload.operationName);
    if (!operation) return [codedError('The document names no single operation to run: give operationName.', 'OPERATION_RESOLUTION_FAILURE')];
    if (operation.operation !== 'subscription') return [codedError('Queries and mutations go over HTTP; this WebSocket serves subscriptions.', 'BAD_REQUEST')];
    const overLimit = requestLimitErrors(schema, document, payload.variables ?? undefined, options.requestLimits);
    if (overLimit.length > 0) return overLimit.map((error) => codedError(error.message, ErrorCode.BAD_USER_INPUT));
    const live = liveOperation(document, operation);
    if (!live) return [codedError('Subscribe to one field at a time.', 'BAD_REQUEST')];
    // Variables are coerced against the schema as for any operation, before anything reads them.
    const coerced = getVariableValues(schema, operation.variableDefinitions ?? [], payload.variables ?? {}, { maxErrors: MAX_VARIABLE_ERRORS });
    if (coerced.errors) return coerced.errors.map((error) => codedError(error.message, ErrorCode.BAD_USER_INPUT));
    const watched = entityIds(schema, live, coerced.coerced);
    if (watched instanceof GraphQLError) return [watched];
    const { ids, variables } = watched;
    // What it keeps while it lives (the query parsed and printed, its variables and ids), taken from the connection's share now.
    const maxHeldBytes = options.webSocketLimits.maxFrameBytes;
    const heldBytes = 2 * live.query.length + JSON.stringify(variables).length + id.length + (payload.operationName?.length ?? 0);
    if (state.heldBytes + heldBytes > maxHeldBytes) {
      return [codedError(`A connection's subscriptions may keep at most ${maxHeldBytes} bytes of queries and variables.`, ErrorCode.RATE_LIMITED)];
    }
    state.heldBytes += heldBytes;
    const letGo = () => (state.heldBytes -= heldBytes);
    try {
      const started = await startSubscription(message, { schema, document, live, ids, variables });
      if (Array.isArray(started)) letGo();
      else (started.contextValue as LiveSubscription).onEnd(letGo);
      return started;
    } catch (error) {
      letGo();
      throw error;
    }
  };

  /** A checked subscription, started for its subscriber once the customer's limits allow it. */
  const startSubscription = async (
    { extra, state, id, payload, stillWanted }: SubscribeMessage,
    { schema, document, live, ids, variables }: CheckedSubscription,
  ): Promise<ExecutionArgs | GraphQLErrorType[]> => {
    const subscriber = await subscriberOf(state.subscriber, payload.extensions);
    if (subscriber instanceof GraphQLError) return [subscriber];
    const overCustomerLimit = await rateLimited(options.rateLimiter.checkCustomer(subscriber.user));
    if (overCustomerLimit) return [overCustomerLimit];
    const customer = subscriber.user?.id;
    // The customer's slot is taken before the subscription does any work, and given back if it never starts.
    let slot: SubscriptionSlot | undefined;
    if (customer) {
      slot = await options.slots.reserve(customer);
      if (!slot) return [codedError(`A customer may hold at most ${options.subscriptionLimits.perCustomer} subscriptions at once.`, ErrorCode.RATE_LIMITED)];
    }
    let started = false;
    try {
      const feed = options.feeds[LIVE_FIELDS[live.field].typename];
      await feed?.ready(FEED_READY_WAIT_MS);
      const subscription = new LiveSubscription(live, variables, subscriber, options.execute, nextMessageSender(extra.socket, id, UNREAD_FRAMES_PER_SOCKET * options.webSocketLimits.maxFrameBytes));
      // The client may have completed it, or gone, meanwhile: then no reads at all.
      if (!stillWanted()) return [codedError('The subscription was completed before it started.', 'BAD_REQUEST')];
      // The reads it sets off (not those it shares) count against the rate limits, as requests would.
      const charge = (reads: number) =>
        void options.rateLimiter
          .charge(subscriber.clientAddress, subscriber.user, reads)
          .catch((error: unknown) => options.logger.debug("could not count a subscription's reads", { error: String(error) }));
      const refused = await subscription.start(ids, subscribeReads, charge, options.logger);
      if (refused) return refused;
      if (subscriber !== state.subscriber && subscriber.expiresAt) subscription.endAt(subscriber.expiresAt);

      const unwatch = ids.map((id) => watch(`${LIVE_FIELDS[live.field].typename}:${id}`, subscription));
      active.inc({ field: live.field });
      subscription.onEnd(() => {
        active.dec({ field: live.field });
        unwatch.forEach((stop) => stop());
        slot?.release();
      });
      started = true;
      return { schema, document, operationName: payload.operationName, variableValues: variables, contextValue: subscription } satisfies ExecutionArgs;
    } finally {
      if (!started) slot?.release();
    }
  };

  return {
    async stop() {
      unlisten.forEach((stop) => stop());
      await transport.stop();
    },
  };
}

/**
 * The ids a subscription watches (the order's id, or the products' ids, 1 to 100) from its coerced
 * arguments, in lower case as the subgraphs store and announce them, and the variables its reads
 * run with (an order's id variable in lower case too). Ids are UUIDs: anything else could never fire.
 */
function entityIds(schema: GraphQLSchema, live: LiveOperation, variables: Record<string, unknown>): { ids: string[]; variables: Record<string, unknown> } | GraphQLErrorType {
  const field = schema.getSubscriptionType()?.getFields()[live.field];
  const node = live.node;
  if (!field) return codedError(`${live.field} is not served.`, 'BAD_REQUEST');
  const argumentName = live.field === 'productUpdated' ? 'ids' : 'id';
  const refused = (message: string) => new GraphQLError(message, { extensions: { code: ErrorCode.BAD_USER_INPUT, argumentName } });
  let values: Record<string, unknown>;
  try {
    values = getArgumentValues(field, node, variables);
  } catch (error) {
    return refused((error as Error).message);
  }
  const given = values[argumentName];
  const ids = Array.isArray(given) ? given : [given];
  if (live.field === 'productUpdated' && (ids.length < 1 || ids.length > MAX_PRODUCT_IDS)) return refused(`productUpdated takes 1 to ${MAX_PRODUCT_IDS} ids.`);
  if (!ids.every((id): id is string => typeof id === 'string' && isUuid(id))) return refused(`${live.field} takes ${argumentName === 'ids' ? 'UUIDs' : 'a UUID'} (the ids the API answers with).`);
  const normalised = [...new Set(ids.map((id) => id.toLowerCase()))];
  const idVariable = node.arguments?.find((argument) => argument.name.value === argumentName)?.value;
  const lowerCased = live.field === 'orderUpdated' && idVariable?.kind === Kind.VARIABLE ? { ...variables, [idVariable.name.value]: normalised[0] } : variables;
  return { ids: normalised, variables: lowerCased };
}

/**
 * An event's payload as JSON text, or undefined when there is nothing to send: an entity that no
 * longer answers (an archived product). A failed read becomes an error event.
 */
function eventPayload(responseKey: string, answer: LiveResult | Error): string | undefined {
  if (answer instanceof Error) return JSON.stringify({ errors: [{ message: 'The change could not be read.', extensions: { code: ErrorCode.INTERNAL_SERVER_ERROR } }] });
  if (!answer.errors && !answer.data?.[responseKey]) return undefined;
  return JSON.stringify(answer);
}

/**
 * Sends one subscription's `next` messages on its socket. Events are written here rather than
 * yielded to graphql-ws, which would serialise the same payload again for every subscriber and
 * await each write: a change watched by a thousand subscribers is serialised once.
 */
function nextMessageSender(socket: WebSocket, id: string, maxUnreadBytes: number): (payload: string) => void {
  const head = `{"id":${JSON.stringify(id)},"type":"${MessageType.Next}","payload":`;
  return (payload) => {
    if (socket.readyState !== socket.OPEN) return;
    // A client that does not read its events would have the gateway hold them without end: 1013 Try Again Later.
    if (socket.bufferedAmount > maxUnreadBytes) return socket.close(1013, 'Events left unread: reconnect');
    socket.send(`${head}${payload}}`);
  };
}

/**
 * One subscriber's subscription: the query it runs for each change and the last payload it sent
 * for each entity (so a resync after a feed outage sends only what really changed). Product
 * subscriptions share one read per change with every subscriber of the same selection (the
 * server groups them by `sharingKey`); order subscriptions read as their subscriber, in turn.
 */
class LiveSubscription {
  private readonly sent = new Map<string, string>();
  private ended = false;
  private endListeners: Array<() => void> = [];
  private whenEnded: Array<() => void> = [];
  private chain: Promise<void> = Promise.resolve();
  /** The variables the query reads: productUpdated's `ids` differ between subscribers but not their answers. */
  private readonly variables: Record<string, unknown>;
  /** What subscribers who share one read per change have in common; undefined for orders, read as each subscriber. */
  readonly sharingKey: string | undefined;
  readonly responseKey: string;

  constructor(
    private readonly live: LiveOperation,
    variables: Record<string, unknown>,
    private readonly subscriber: Subscriber,
    private readonly execute: LiveQueryExecutor,
    private readonly send: (payload: string) => void,
  ) {
    this.variables = Object.fromEntries(Object.entries(variables).filter(([name]) => live.queryVariables.includes(name)));
    // Products are public: subscribers with the same selection share one read per change.
    this.sharingKey = live.field === 'productUpdated' ? `${live.query}\n${JSON.stringify(this.variables)}` : undefined;
    this.responseKey = live.responseKey;
  }

  /**
   * Reads each watched entity once, as the subscriber: what an event would send now. An order that
   * does not exist for this subscriber, or a subscriber who may not read it, ends the subscription
   * before anything is sent.
   */
  async start(ids: string[], reads: SharedReads, charge: (reads: number) => void, logger: Logger): Promise<GraphQLErrorType[] | undefined> {
    if (this.live.field === 'orderUpdated' && !this.subscriber.user) return [codedError('Sign in to follow an order.', ErrorCode.UNAUTHENTICATED)];
    // Products: one read per product and selection at a time, shared by whoever subscribes meanwhile.
    const scheduled = ids.map((id) => ({ id, ...reads.read(this.sharingKey === undefined ? undefined : `${this.sharingKey}\n${id}`, () => this.read(id)) }));
    charge(scheduled.filter((read) => !read.shared).length);
    const answers = await Promise.all(scheduled.map(async ({ id, answer }) => [id, await answer] as const));
    for (const [id, answer] of answers) {
      if (answer instanceof Error) {
        // The gateway's failure (a subgraph down, a deadline), not the client's: one line, no stack.
        logger.warn('could not start a subscription: its first read failed', { field: this.live.field, error: answer.message });
        return [codedError('The subscription could not be started: try again.', ErrorCode.INTERNAL_SERVER_ERROR)];
      }
      if (this.live.field === 'orderUpdated') {
        const refusal = answer.errors?.find((error) => error.extensions?.code === ErrorCode.UNAUTHENTICATED || error.extensions?.code === ErrorCode.FORBIDDEN);
        if (refusal) return [codedError(refusal.message, String(refusal.extensions?.code))];
        if (!answer.data?.[this.live.responseKey]) return [codedError('No such order.', 'NOT_FOUND')];
      }
      this.sent.set(id, JSON.stringify(answer));
    }
    return undefined;
  }

  /** A change to a watched order: read it again as the subscriber and send it, after the events before it. */
  changed(id: string, onlyIfDifferent: boolean): void {
    if (this.ended) return;
    const answer = this.read(id);
    this.chain = this.chain.then(async () => {
      const payload = eventPayload(this.responseKey, await answer);
      if (payload !== undefined) this.deliver(id, payload, onlyIfDifferent);
    });
  }

  /** Sends an event for `id` unless the subscription has ended (or, after a resync, nothing changed). */
  deliver(id: string, payload: string, onlyIfDifferent: boolean): void {
    if (this.ended || (onlyIfDifferent && this.sent.get(id) === payload)) return;
    this.sent.set(id, payload);
    this.send(payload);
  }

  /** The query for one entity: products as nobody in particular (they are public), orders as the subscriber. A failure is returned, not thrown. */
  read(id: string): Promise<LiveResult | Error> {
    const variables = this.live.field === 'productUpdated' ? { ...this.variables, [ENTITY_ID_VARIABLE]: id } : this.variables;
    const as = this.live.field === 'productUpdated' ? { user: undefined, authorization: undefined, clientAddress: this.subscriber.clientAddress } : this.subscriber;
    return this.execute(this.live.query, variables, as).catch((error: unknown) => (error instanceof Error ? error : new Error(String(error))));
  }

  onEnd(listener: () => void): void {
    this.endListeners.push(listener);
  }

  /**
   * Ends the subscription with an UNAUTHENTICATED event when its own token expires (the connection
   * stays open: its other subscriptions, and the connection's own token, are not affected).
   */
  endAt(expiresAt: number): void {
    const timer = setLongTimeout(
      () => {
        this.send(JSON.stringify({ errors: [{ message: 'The token of this subscription has expired: subscribe again with a fresh one.', extensions: { code: ErrorCode.UNAUTHENTICATED } }] }));
        this.end();
      },
      expiresAt * 1000 - Date.now(),
    );
    this.onEnd(() => timer.clear());
  }

  private end(): void {
    if (this.ended) return;
    this.ended = true;
    this.endListeners.forEach((listener) => listener());
    this.whenEnded.forEach((resolve) => resolve());
  }

  /**
   * The iterator graphql-ws holds for the subscription: it yields nothing (events are sent by
   * `deliver`) and its `return()` (the client completing, the socket closing) ends the subscription.
   */
  events(): AsyncIterableIterator<LiveResult> {
    const iterator: AsyncIterableIterator<LiveResult> = {
      next: () => (this.ended ? Promise.resolve({ done: true, value: undefined }) : new Promise((resolve) => this.whenEnded.push(() => resolve({ done: true, value: undefined })))),
      return: async () => {
        this.end();
        return { done: true, value: undefined };
      },
      [Symbol.asyncIterator]: () => iterator,
    };
    return iterator;
  }
}

/** A timer that may wait longer than a Node.js timer can (about 24.8 days), in steps; it keeps no process alive. */
interface LongTimer {
  clear(): void;
}

/** Calls `callback` after `delayMs` (at once when it is not positive), however long that is. */
function setLongTimeout(callback: () => void, delayMs: number): LongTimer {
  const dueAt = Date.now() + Math.max(0, delayMs);
  let timer: NodeJS.Timeout;
  const arm = () => {
    const remaining = dueAt - Date.now();
    timer = setTimeout(remaining > MAX_TIMER_MS ? arm : callback, Math.min(Math.max(0, remaining), MAX_TIMER_MS));
    timer.unref();
  };
  arm();
  return { clear: () => clearTimeout(timer) };
}

/**
 * Reads bounded and shared: at most `concurrency` run at once (the rest wait their turn), and a read
 * with a key already in flight or waiting is not run again: its callers share the one answer.
 */
class SharedReads {
  private running = 0;
  private readonly waiting: Array<() => void> = [];
  private readonly inFlight = new Map<string, Promise<LiveResult | Error>>();

  constructor(private readonly concurrency: number) {}

  /** `run`'s answer, or that of the read with the same `key` under way (`shared`); undefined: never shared. `run` must not reject. */
  read(key: string | undefined, run: () => Promise<LiveResult | Error>): { answer: Promise<LiveResult | Error>; shared: boolean } {
    const underWay = key === undefined ? undefined : this.inFlight.get(key);
    if (underWay) return { answer: underWay, shared: true };
    const answer = this.turn()
      .then(run)
      .finally(() => {
        this.running -= 1;
        this.waiting.shift()?.();
        if (key !== undefined) this.inFlight.delete(key);
      });
    if (key !== undefined) this.inFlight.set(key, answer);
    return { answer, shared: false };
  }

  private turn(): Promise<void> {
    if (this.running < this.concurrency) {
      this.running += 1;
      return Promise.resolve();
    }
    return new Promise((resolve) =>
      this.waiting.push(() => {
        this.running += 1;
        resolve();
      }),
    );
  }
}
