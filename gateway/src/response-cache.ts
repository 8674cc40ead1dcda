import { createRequire } from 'node:module';
import { LRUCache } from 'lru-cache';
import type { DocumentNode, FragmentDefinitionNode, GraphQLObjectType, GraphQLSchema, OperationDefinitionNode, SelectionSetNode } from 'graphql';
import type { ApolloServerPlugin } from '@apollo/server';
import { HeaderMap } from '@apollo/server';
import { Counter, Gauge, type Registry } from 'prom-client';
import type { GatewayContext } from './context.js';
import { documentHasDefer } from './defer/defer-document.js';
import { acceptsIncrementalDelivery } from './defer/incremental-delivery.js';
import { publicFieldsOf, selectsPublicFieldsOnly } from './http-caching.js';

// The API schema is Apollo's CommonJS copy of graphql's (see limits.ts).
const { Kind, getNamedType, isCompositeType, isListType, isNonNullType, isObjectType, isAbstractType } = createRequire(import.meta.url)('graphql') as typeof import('graphql');

/**
 * The gateway's cache of whole public answers (docs/architecture.md, "The gateway's cache"): a
 * tokenless query whose every field is public, keyed by its text, operation name and variables,
 * holding the answer's JSON. Each answer is dropped when a subgraph's change feed tells a change
 * of an entity it holds (or, for the root lists, of any entity of that type), and served only
 * while every followed feed has proven, by its own notification coming back, that it has told
 * every change committed up to FRESHNESS_MS ago.
 */

/** The default bound on the cache's memory: the answers, their keys and their dependencies. */
export const DEFAULT_GATEWAY_CACHE_MAX_BYTES = 64 * 1024 * 1024;
/** The default longest time an answer is kept, for what no feed tells (descriptions, category names, bought together). */
export const DEFAULT_GATEWAY_CACHE_MAX_AGE_SECONDS = 10;
/**
 * A feed whose latest self-notification was sent longer ago than this (sender's clock) is not
 * proven caught up, and nothing is served from the cache. Under the contract's 250 ms, with 50 ms
 * for clocks that differ and the time between the feed's notification and its arrival here.
 */
export const FRESHNESS_MS = 200;
/**
 * A lookup whose feeds have not proven themselves recent enough waits this long for them (a feed
 * late under load) before running the query without the cache; one further behind than
 * MAX_WAITED_LAG_MS is taken for away, and not waited for.
 */
export const PROOF_WAIT_MS = 150;
const MAX_WAITED_LAG_MS = 1_000;
/** Invalidations remembered (at least; up to twice as many) to decide whether an answer computed meanwhile may still be kept. */
const REMEMBERED_INVALIDATIONS = 4_096;
/** Keys asked for once remembered (as hashes) per generation of the doorkeeper, at most: see admits(). */
const DOORKEEPER_KEYS = 16_384;
/** The response header telling whether the cache answered: `hit`, `miss` (kept or not) or `bypass`. */
export const CACHE_STATUS_HEADER = 'x-greencart-cache';

/** What an answer depends on: entities (`Type:id`) and whole types (any change of one of its entities). */
export interface AnswerDependencies {
  entities: Set<string>;
  types: Set<string>;
}

/** An entity key as the feeds tell it and answers depend on it. */
export const entityKey = (typename: string, id: string) => `${typename}:${id.toLowerCase()}`;

/** Types whose objects a feed can name: object types with an `id` field. */
const isIdentifiable = (type: GraphQLObjectType) => 'id' in type.getFields();

/**
 * The dependencies of a query's answer, from the answer walked with the operation's selections:
 * every identifiable object in it (`Type:id`; one whose id was not selected, its whole type); and
 * for each root field that is not one entity found (a list, a connection, a search, or null), every
 * identifiable type it may hold, since a change to any entity of those types may change what it lists.
 */
export function answerDependencies(schema: GraphQLSchema, document: DocumentNode, operation: OperationDefinitionNode, data: Record<string, unknown>): AnswerDependencies {
  const fragments = new Map<string, FragmentDefinitionNode>();
  for (const definition of document.definitions) if (definition.kind === Kind.FRAGMENT_DEFINITION) fragments.set(definition.name.value, definition);
  const dependencies: AnswerDependencies = { entities: new Set(), types: new Set() };
  const queryType = schema.getQueryType()!;

  /** The fields selected on an object of `type` (fragments that apply to it spread), by response key. */
  const fieldsOn = (type: GraphQLObjectType, selectionSet: SelectionSetNode, into = new Map<string, { name: string; selectionSet?: SelectionSetNode }>()) => {
    for (const selection of selectionSet.selections) {
      if (selection.kind === Kind.FIELD) {
        const key = selection.alias?.value ?? selection.name.value;
        const known = into.get(key);
        // The same key selected twice merges its sub-selections.
        if (known?.selectionSet && selection.selectionSet) {
          known.selectionSet = { kind: Kind.SELECTION_SET, selections: [...known.selectionSet.selections, ...selection.selectionSet.selections] };
        } else if (!known) into.set(key, { name: selection.name.value, selectionSet: selection.selectionSet });
      } else {
        const fragment = selection.kind === Kind.INLINE_FRAGMENT ? selection : fragments.get(selection.name.value);
        if (!fragment) continue;
        const condition = fragment.typeCondition?.name.value;
        if (condition && !appliesTo(condition, type)) continue;
        fieldsOn(type, fragment.selectionSet, into);
      }
    }
    return into;
  };
  const appliesTo = (condition: string, type: GraphQLObjectType) => {
    if (condition === type.name) return true;
    const conditionType = schema.getType(condition);
    return conditionType !== undefined && conditionType !== null && isAbstractType(conditionType) && schema.isSubType(conditionType, type);
  };

  /** Every identifiable type a selection may hold (whatever the answer holds). */
  const typesUnder = (type: ReturnType<typeof getNamedType>, selectionSet: SelectionSetNode | undefined, seen = new Set<string>()) => {
    if (!selectionSet || !isCompositeType(type)) return;
    const objects = isObjectType(type) ? [type] : schema.getPossibleTypes(type);
    for (const object of objects) {
      if (isIdentifiable(object)) dependencies.types.add(object.name);
      const visit = `${object.name}@${selectionSet.loc?.start ?? ''}`;
      if (seen.has(visit)) continue;
      seen.add(visit);
      for (const field of fieldsOn(object, selectionSet).values()) {
        const definition = object.getFields()[field.name];
        if (definition) typesUnder(getNamedType(definition.type), field.selectionSet, seen);
      }
    }
  };

  const walk = (type: ReturnType<typeof getNamedType>, selectionSet: SelectionSetNode, value: unknown): void => {
    if (value === null || value === undefined) return;
    if (Array.isArray(value)) {
      for (const item of value) walk(type, selectionSet, item);
      return;
    }
    if (typeof value !== 'object' || !isCompositeType(type)) return;
    const record = value as Record<string, unknown>;
    let object: GraphQLObjectType | undefined;
    if (isObjectType(type)) object = type;
    else {
      // An abstract type: the answer names its object type only if __typename was selected.
      const named = typeof record.__typename === 'string' ? schema.getType(record.__typename) : undefined;
      if (named && isObjectType(named)) object = named;
    }
    if (!object) {
      typesUnder(type, selectionSet);
      return;
    }
    const fields = fieldsOn(object, selectionSet);
    if (isIdentifiable(object)) {
      const idKey = [...fields.entries()].find(([, field]) => field.name === 'id')?.[0];
      const id = idKey === undefined ? undefined : record[idKey];
      if (typeof id === 'string') dependencies.entities.add(entityKey(object.name, id));
      else dependencies.types.add(object.name);
    }
    for (const [key, field] of fields) {
      const definition = object.getFields()[field.name];
      if (definition && field.selectionSet) walk(getNamedType(definition.type), field.selectionSet, record[key]);
    }
  };

  for (const [key, field] of fieldsOn(queryType, operation.selectionSet)) {
    const definition = queryType.getFields()[field.name];
    if (!definition || !field.selectionSet) continue;
    const named = getNamedType(definition.type);
    const nullable = isNonNullType(definition.type) ? definition.type.ofType : definition.type;
    const value = data[key];
    const oneEntity = !isListType(nullable) && isObjectType(named) && isIdentifiable(named) && value !== null && value !== undefined;
    if (!oneEntity) typesUnder(named, field.selectionSet);
    walk(named, field.selectionSet, value);
  }
  return dependencies;
}

interface CachedAnswer {
  json: string;
  dependencies: AnswerDependencies;
  /** What the entry costs in memory, as counted against the bound. */
  bytes: number;
}

/** An invalidation as remembered: an entity, or everything (a feed came back and resynced). */
type Invalidation = { epoch: number; entity: string; typename: string } | { epoch: number; everything: true };

/** A feed the cache follows, as the gateway's SubgraphFeed offers it. */
export interface FollowedFeed {
  name: string;
  listen(listener: { change(change: { typename: string; id: string }): void; resync(): void; alive?(at: number): void }): () => void;
}

export interface ResponseCacheOptions {
  maxBytes: number;
  maxAgeSeconds: number;
  /** The subgraphs' feeds that tell every change of their public data (the manifest's public_changes). */
  feeds: readonly FollowedFeed[];
  registry?: Registry;
  /** The clock feeds' self-notifications are compared with (ms since the epoch). */
  now?: () => number;
}

/** Roughly what a string costs V8 (two bytes a character, the most), plus a Map and Set entry per dependency. */
const DEPENDENCY_BYTES = 96;
const ENTRY_BYTES = 256;

/**
 * The store: an LRU bounded in bytes (lru-cache's maxSize), an index from each dependency to the
 * keys that hold it, the feeds' proven times, and the invalidations of late to judge an answer
 * computed while they arrived.
 */
export class ResponseCache {
  private readonly entries: LRUCache<string, CachedAnswer>;
  private readonly byDependency = new Map<string, Set<string>>();
  private readonly provenAt = new Map<string, number>();
  private readonly invalidations: Invalidation[] = [];
  private epochCounter = 0;
  /** When a mutation through this gateway last answered: nothing is served until every feed has proven itself past it. */
  private lastWriteAt = 0;
  private readonly waiters = new Set<{ since: number; resolve(proven: boolean): void }>();
  private readonly unlisten: Array<() => void>;
  private readonly now: () => number;
  private readonly lookups?: Counter<'outcome'>;
  /** The doorkeeper's two generations of keys missed once (FNV-1a hashes), and when the newer began. */
  private seenNow = new Set<number>();
  private seenBefore = new Set<number>();
  private generationStartedAt = 0;

  constructor(private readonly options: ResponseCacheOptions) {
    this.now = options.now ?? Date.now;
    this.entries = new LRUCache<string, CachedAnswer>({
      maxSize: options.maxBytes,
      sizeCalculation: (entry) => entry.bytes,
      ttl: options.maxAgeSeconds * 1000,
      // Expired entries are dropped as they are met or pushed out; their bytes count until then.
      dispose: (entry, key) => this.unindex(key, entry),
    });
    this.unlisten = options.feeds.map((feed) =>
      feed.listen({
        change: (change) => this.invalidate(change.typename, change.id),
        resync: () => this.resync(feed.name),
        alive: (at) => {
          this.provenAt.set(feed.name, Math.max(at, this.provenAt.get(feed.name) ?? 0));
          this.wakeWaiters();
        },
      }),
    );
    if (options.registry) {
      const registers = [options.registry];
      this.lookups = new Counter({
        name: 'greencart_gateway_cache_lookups_total',
        help: "Public queries looked up in the gateway's cache, by outcome (hit, miss, bypass).",
        labelNames: ['outcome'],
        registers,
      });
      const entries = this.entries;
      new Gauge({
        name: 'greencart_gateway_cache_bytes',
        help: "Memory the gateway's cache counts against GATEWAY_CACHE_MAX_BYTES: answers, keys and dependencies.",
        registers,
        collect() {
          this.set(entries.calculatedSize);
        },
      });
      new Gauge({
        name: 'greencart_gateway_cache_entries',
        help: "Answers in the gateway's cache.",
        registers,
        collect() {
          this.set(entries.size);
        },
      });
    }
  }

  /** Where invalidations stand: taken when a request starts, given back when its answer would be kept. */
  get epoch(): number {
    return this.epochCounter;
  }

  /** Bytes counted against the bound. */
  get bytes(): number {
    return this.entries.calculatedSize;
  }

  /**
   * The time every followed feed must have proven itself past for a read that starts now: FRESHNESS_MS
   * ago, or the last mutation this gateway answered if later (so a client reads its own writes at
   * once through one gateway).
   */
  provenTimeNeeded(): number {
    return Math.max(this.now() - FRESHNESS_MS, this.lastWriteAt);
  }

  /** Whether every followed feed has proven that it told every change committed before `since`. */
  provenSince(since: number): boolean {
    return this.options.feeds.every((feed) => (this.provenAt.get(feed.name) ?? 0) >= since);
  }

  /**
   * Resolves true once every feed has proven itself past `since`, or false after `withinMs`; at once
   * false when a feed is further behind than MAX_WAITED_LAG_MS (away, not just late).
   */
  whenProvenSince(since: number, withinMs: number): Promise<boolean> {
    if (this.provenSince(since)) return Promise.resolve(true);
    if (this.awaySince(since)) return Promise.resolve(false);
    return new Promise((resolve) => {
      const waiter = {
        since,
        resolve: (proven: boolean) => {
          clearTimeout(timer);
          this.waiters.delete(waiter);
          resolve(proven);
        },
      };
      const timer = setTimeout(() => waiter.resolve(false), withinMs);
      this.waiters.add(waiter);
    });
  }

  /** Whether a feed is further behind `since` than MAX_WAITED_LAG_MS: away (or never heard), not just late. */
  awaySince(since: number): boolean {
    return this.options.feeds.some((feed) => (this.provenAt.get(feed.name) ?? 0) < since - MAX_WAITED_LAG_MS);
  }

  /** Whether an answer is kept under `key` (not yet expired), without marking it used. */
  has(key: string): boolean {
    return this.entries.has(key);
  }

  /** The answer's JSON when it is kept (the caller has checked the feeds). */
  get(key: string): string | undefined {
    return this.entries.get(key)?.json;
  }

  /**
   * Whether every feed had proven itself alive since it last connected or resynced: only a request
   * that starts then may keep its answer, since every change committed after it reads is then told.
   */
  following(): boolean {
    return this.options.feeds.every((feed) => this.provenAt.has(feed.name));
  }

  /** A mutation answered: whatever it changed is told by the feeds shortly; until then, serve nothing. */
  wrote(): void {
    this.lastWriteAt = this.now();
  }

  count(outcome: 'hit' | 'miss' | 'bypass'): void {
    this.lookups?.inc({ outcome });
  }

  /**
   * Keeps an answer computed by a request that started at `startEpoch` while every feed was
   * followed, unless an invalidation arrived since that touches it (its data may have been read
   * before that change committed, and the invalidation is gone) or a feed resynced: answers whether it was kept.
   */
  set(key: string, json: string, dependencies: AnswerDependencies, startEpoch: number): boolean {
    if (this.touchedSince(startEpoch, dependencies)) return false;
    const count = dependencies.entities.size + dependencies.types.size;
    const bytes = ENTRY_BYTES + 2 * (key.length + json.length) + count * DEPENDENCY_BYTES;
    if (bytes > this.options.maxBytes) return false;
    this.entries.set(key, { json, dependencies, bytes });
    if (!this.entries.has(key)) return false;
    for (const dependency of [...dependencies.entities, ...dependencies.types]) {
      let keys = this.byDependency.get(dependency);
      if (!keys) this.byDependency.set(dependency, (keys = new Set()));
      keys.add(key);
    }
    return true;
  }

  /**
   * Whether an answer computed for `key` is worth keeping: only when the key was missed before,
   * within about GATEWAY_CACHE_MAX_AGE (a doorkeeper, as TinyLFU admits entries). Most product
   * pages of a large catalogue are read once in a while; keeping each would cost its walk and its
   * bytes, push popular answers out and leave the heap full of answers that expire unread.
   */
  admits(key: string): boolean {
    const now = this.now();
    // Two generations of half the longest age each: a key is remembered between a half and a whole.
    const generationMs = this.options.maxAgeSeconds * 500;
    if (this.seenNow.size >= DOORKEEPER_KEYS || now - this.generationStartedAt > generationMs) {
      this.seenBefore = now - this.generationStartedAt > 2 * generationMs ? new Set() : this.seenNow;
      this.seenNow = new Set();
      this.generationStartedAt = now;
    }
    const hash = fnv1a(key);
    if (this.seenNow.has(hash) || this.seenBefore.has(hash)) return true;
    this.seenNow.add(hash);
    return false;
  }

  /** A feed told a change: drop every answer holding the entity, and every answer listing its type. */
  invalidate(typename: string, id: string): void {
    const entity = entityKey(typename, id);
    this.remember({ epoch: ++this.epochCounter, entity, typename });
    for (const dependency of [entity, typename]) {
      for (const key of [...(this.byDependency.get(dependency) ?? [])]) this.entries.delete(key);
    }
  }

  /** A feed came back or may have missed changes: nothing kept before can be trusted. */
  resync(feed: string): void {
    this.remember({ epoch: ++this.epochCounter, everything: true });
    // Proven again only by a self-notification sent after this.
    this.provenAt.delete(feed);
    this.entries.clear();
  }

  private wakeWaiters(): void {
    for (const waiter of this.waiters) if (this.provenSince(waiter.since)) waiter.resolve(true);
  }

  stop(): void {
    for (const waiter of [...this.waiters]) waiter.resolve(false);
    for (const unlisten of this.unlisten) unlisten();
    this.entries.clear();
  }

  private touchedSince(startEpoch: number, dependencies: AnswerDependencies): boolean {
    if (startEpoch === this.epochCounter) return false;
    const oldest = this.invalidations[0];
    // Older than what is remembered: assume the worst.
    if (!oldest || oldest.epoch > startEpoch + 1) return true;
    for (let index = this.invalidations.length - 1; index >= 0; index -= 1) {
      const invalidation = this.invalidations[index]!;
      if (invalidation.epoch <= startEpoch) break;
      if ('everything' in invalidation) return true;
      if (dependencies.entities.has(invalidation.entity) || dependencies.types.has(invalidation.typename)) return true;
    }
    return false;
  }

  private remember(invalidation: Invalidation): void {
    this.invalidations.push(invalidation);
    // Trimmed in halves, so that remembering costs the same whatever the rate of changes.
    if (this.invalidations.length >= 2 * REMEMBERED_INVALIDATIONS) this.invalidations.splice(0, this.invalidations.length - REMEMBERED_INVALIDATIONS);
  }

  private unindex(key: string, entry: CachedAnswer): void {
    for (const dependency of [...entry.dependencies.entities, ...entry.dependencies.types]) {
      const keys = this.byDependency.get(dependency);
      if (!keys) continue;
      keys.delete(key);
      if (keys.size === 0) this.byDependency.delete(dependency);
    }
  }
}

export interface ResponseCachePluginOptions {
  cache: ResponseCache;
  /** The supergraph, whose @public fields decide which queries are public. */
  supergraphSdl: string;
  /** A request header that changes the answer (the development query plan): such a request bypasses the cache. */
  queryPlanHeader: string;
}

/**
 * Answers public queries from the cache and keeps their answers: a query over HTTP (GET or POST),
 * without an Authorization header or a verified user, selecting public fields only, not asking for
 * the query plan, and not answered in parts (@defer to a client that accepts them).
 */
export function responseCachePlugin(options: ResponseCachePluginOptions): ApolloServerPlugin<GatewayContext> {
  const { cache } = options;
  const publicFields = publicFieldsOf(options.supergraphSdl);
  const publicOperations = new WeakMap<OperationDefinitionNode, boolean>();
  return {
    async requestDidStart({ request, contextValue }) {
      const http = request.http;
      if (!http) return;
      const eligible = !http.headers.has('authorization') && !contextValue.user && !contextValue.authorization;
      // Taken before anything is read from a subgraph: an invalidation after this may concern what is
      // read, and only a request that starts while every feed is followed may keep its answer.
      const startEpoch = cache.epoch;
      const mayKeep = cache.following();
      let key: string | undefined;
      let outcome: 'miss' | 'bypass' | undefined;
      return {
        async responseForOperation({ schema, document, operation, queryHash, request }) {
          if (!eligible || operation.operation !== 'query' || http.headers.has(options.queryPlanHeader)) return null;
          if (documentHasDefer(document) && acceptsIncrementalDelivery(http.headers.get('accept'))) return null;
          let isPublic = publicOperations.get(operation);
          if (isPublic === undefined) {
            isPublic = selectsPublicFieldsOnly(schema, document, operation, publicFields);
            publicOperations.set(operation, isPublic);
          }
          if (!isPublic) return null;
          const candidate = `${queryHash}\n${request.operationName ?? ''}\n${JSON.stringify(request.variables ?? {})}`;
          // What a hit needs proven is fixed when the read starts (waiting does not move it). Only a
          // kept answer waits for the proof: with nothing to serve, a read whose feeds lag under load
          // runs at once (a miss, or a bypass when a feed is away).
          const needed = cache.provenTimeNeeded();
          const proven = cache.has(candidate) ? await cache.whenProvenSince(needed, PROOF_WAIT_MS) : !cache.awaySince(needed);
          const json = proven ? cache.get(candidate) : undefined;
          if (json !== undefined) {
            cache.count('hit');
            return { http: { status: undefined, headers: new HeaderMap([[CACHE_STATUS_HEADER, 'hit']]) }, body: { kind: 'single', singleResult: JSON.parse(json) as Record<string, unknown> } };
          }
          // Kept even when the feeds are late: what it read is told later (or a resync drops it), and it is served only once proven.
          outcome = proven ? 'miss' : 'bypass';
          cache.count(outcome);
          if (mayKeep && cache.admits(candidate)) key = candidate;
          return null;
        },
        async willSendResponse({ schema, document, operation, response }) {
          if (operation?.operation === 'mutation') cache.wrote();
          if (outcome) response.http.headers.set(CACHE_STATUS_HEADER, outcome);
          if (key === undefined || !document || !operation || response.body.kind !== 'single') return;
          const result = response.body.singleResult;
          if (result.errors || !result.data || result.extensions) return;
          cache.set(key, JSON.stringify(result), answerDependencies(schema, document, operation, result.data), startEpoch);
        },
      };
    },
  };
}

/** A 32-bit FNV-1a hash of a string's UTF-16 code units: two keys that collide are only admitted early. */
function fnv1a(text: string): number {
  let hash = 0x811c9dc5;
  for (let index = 0; index < text.length; index++) {
    hash ^= text.charCodeAt(index);
    hash = Math.imul(hash, 0x01000193);
  }
  return hash >>> 0;
}
