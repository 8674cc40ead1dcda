import type http from 'node:http';
import { createRequire } from 'node:module';
import type { DocumentNode, ExecutionArgs, ExecutionResult, GraphQLError as GraphQLErrorType, GraphQLFormattedError, GraphQLSchema, OperationDefinitionNode } from 'graphql';
import { useServer } from 'graphql-ws/use/ws';
import { WebSocketServer, type WebSocket } from 'ws';
import { MessageType } from 'graphql-ws';
import { Gauge, type Registry } from 'prom-client';
import { decodeJwt } from 'jose';
import { bearerToken, ErrorCode, type AuthenticatedUser, type Logger, type UserTokenVerifier } from '@greencart/platform';
import { exceedsTokenLimit, requestLimitErrors, type RequestLimits } from '../limits.js';
import { isPersisted } from '../persisted-documents.js';
import { ENTITY_ID_VARIABLE, LIVE_FIELDS, liveOperation, type LiveOperation } from './live-operation.js';
import type { EntityChange, SubgraphFeed } from './subgraph-feed.js';

// The gateway's schema belongs to Apollo's CommonJS copy of graphql (see limits.ts).
const { GraphQLError, getOperationAST, parse, validate, valueFromASTUntyped } = createRequire(import.meta.url)('graphql') as typeof import('graphql');

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

export interface SubscriptionServerOptions {
  httpServer: http.Server;
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
  expiry?: NodeJS.Timeout;
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
  const webSockets = new WebSocketServer({ server: options.httpServer, path: '/graphql' });
  const watchers = new Map<string, Set<LiveSubscription>>();
  const perCustomer = new Map<string, number>();
  const connections = new WeakMap<object, ConnectionState>();
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

  const server = useServer<Record<string, unknown> | undefined, { greencart?: ConnectionState }>(
    {
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
        const state: ConnectionState = { subscriber: { user, authorization: token && `Bearer ${token}`, clientAddress: ctx.extra.request.socket.remoteAddress } };
        const expiresAt = token ? decodeJwt(token).exp : undefined;
        if (expiresAt) {
          // A connection lives no longer than its token: 4401 tells the client to reconnect with a fresh one.
          state.expiry = setTimeout(() => ctx.extra.socket.close(4401, 'Token expired'), Math.max(0, expiresAt * 1000 - Date.now()));
          state.expiry.unref();
        }
        connections.set(ctx.extra.socket, state);
        return true;
      },
      onClose: (ctx) => {
        const state = connections.get(ctx.extra.socket);
        clearTimeout(state?.expiry);
      },
      onSubscribe: async (ctx, id, payload) => {
        const state = connections.get(ctx.extra.socket);
        const schema = options.schema();
        if (!state || !schema) return [codedError('The gateway is not ready yet.', 'SERVICE_UNAVAILABLE')];
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
        const invalid = validate(schema, document);
        if (invalid.length > 0) return invalid.map((error) => codedError(error.message, 'GRAPHQL_VALIDATION_FAILED'));
        const operation = getOperationAST(document, payload.operationName);
        if (!operation) return [codedError('The document names no single operation to run: give operationName.', 'OPERATION_RESOLUTION_FAILURE')];
        if (operation.operation !== 'subscription') return [codedError('Queries and mutations go over HTTP; this WebSocket serves subscriptions.', 'BAD_REQUEST')];
        const overLimit = requestLimitErrors(schema, document, payload.variables ?? undefined, options.requestLimits);
        if (overLimit.length > 0) return overLimit.map((error) => codedError(error.message, ErrorCode.BAD_USER_INPUT));
        const live = liveOperation(document, operation);
        if (!live) return [codedError('Subscribe to one field at a time.', 'BAD_REQUEST')];
        const variables = payload.variables ?? {};

        // graphql-ws has already reserved this subscription's id among the connection's.
        if (Object.keys(ctx.subscriptions).length > options.subscriptionLimits.perConnection) {
          return [codedError(`A connection may hold at most ${options.subscriptionLimits.perConnection} subscriptions.`, ErrorCode.RATE_LIMITED)];
        }
        const subscriber = await subscriberOf(state.subscriber, payload.extensions);
        if (subscriber instanceof GraphQLError) return [subscriber];
        const customer = subscriber.user?.id;
        if (customer && (perCustomer.get(customer) ?? 0) >= options.subscriptionLimits.perCustomer) {
          return [codedError(`A customer may hold at most ${options.subscriptionLimits.perCustomer} subscriptions at once.`, ErrorCode.RATE_LIMITED)];
        }

        const ids = entityIds(live, variables);
        if (ids instanceof GraphQLError) return [ids];
        const feed = options.feeds[LIVE_FIELDS[live.field].typename];
        await feed?.ready(FEED_READY_WAIT_MS);
        const subscription = new LiveSubscription(live, variables, subscriber, options.execute, nextMessageSender(ctx.extra.socket, id));
        const refused = await subscription.start(ids);
        if (refused) return refused;
        if (subscriber !== state.subscriber && subscriber.expiresAt) subscription.endAt(subscriber.expiresAt);

        if (customer) perCustomer.set(customer, (perCustomer.get(customer) ?? 0) + 1);
        const unwatch = ids.map((id) => watch(`${LIVE_FIELDS[live.field].typename}:${id}`, subscription));
        active.inc({ field: live.field });
        subscription.onEnd(() => {
          active.dec({ field: live.field });
          unwatch.forEach((stop) => stop());
          if (customer) {
            const left = (perCustomer.get(customer) ?? 1) - 1;
            if (left > 0) perCustomer.set(customer, left);
            else perCustomer.delete(customer);
          }
        });
        return { schema, document, operationName: payload.operationName, variableValues: variables, contextValue: subscription } satisfies ExecutionArgs;
      },
      // Events carry errors already formatted by the gateway (codes, masking), which graphql-ws sends as they are.
      subscribe: (args) => (args.contextValue as LiveSubscription).events() as unknown as AsyncIterableIterator<ExecutionResult>,
      onError: (_ctx, _id, _payload, errors) => errors.map((error) => ({ message: error.message, extensions: { code: (error.extensions?.code as string | undefined) ?? 'BAD_REQUEST' } })),
    },
    webSockets,
    KEEP_ALIVE_MS,
  );

  return {
    async stop() {
      unlisten.forEach((stop) => stop());
      // 1001 Going Away: subscribers reconnect, to another gateway if there is one.
      for (const socket of webSockets.clients) socket.close(1001, 'Server shutting down');
      await server.dispose();
      await new Promise<void>((resolve) => webSockets.close(() => resolve()));
    },
  };
}

/** The ids a subscription watches: the order's id, or the products' ids (1 to 100). */
function entityIds(live: LiveOperation, variables: Record<string, unknown>): string[] | GraphQLErrorType {
  const argument = live.argument?.[0];
  const value = argument ? valueFromASTUntyped(argument.value, variables) : undefined;
  const ids = (Array.isArray(value) ? value : [value]).filter((id): id is string => typeof id === 'string');
  if (live.field === 'productUpdated' && (ids.length < 1 || ids.length > MAX_PRODUCT_IDS)) {
    return new GraphQLError(`productUpdated takes 1 to ${MAX_PRODUCT_IDS} ids.`, { extensions: { code: ErrorCode.BAD_USER_INPUT, argumentName: 'ids' } });
  }
  return [...new Set(ids)];
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
function nextMessageSender(socket: WebSocket, id: string): (payload: string) => void {
  const head = `{"id":${JSON.stringify(id)},"type":"${MessageType.Next}","payload":`;
  return (payload) => {
    if (socket.readyState === socket.OPEN) socket.send(`${head}${payload}}`);
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
  async start(ids: string[]): Promise<GraphQLErrorType[] | undefined> {
    if (this.live.field === 'orderUpdated' && !this.subscriber.user) return [codedError('Sign in to follow an order.', ErrorCode.UNAUTHENTICATED)];
    const answers = await Promise.all(ids.map(async (id) => [id, await this.read(id)] as const));
    for (const [id, answer] of answers) {
      if (answer instanceof Error) throw answer;
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
    const timer = setTimeout(() => {
      this.send(JSON.stringify({ errors: [{ message: 'The token of this subscription has expired: subscribe again with a fresh one.', extensions: { code: ErrorCode.UNAUTHENTICATED } }] }));
      this.end();
    }, Math.max(0, expiresAt * 1000 - Date.now()));
    timer.unref();
    this.onEnd(() => clearTimeout(timer));
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
