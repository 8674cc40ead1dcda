import type { RequestHandler, Response } from 'express';
import type { Sql } from 'postgres';
import { mayCall } from '../auth/service-calls.js';
import { SERVICE_TOKEN_HEADER, type ServiceCredentials } from '../auth/service-credentials.js';
import { ErrorCode } from '../errors.js';
import { errorFields, type Logger } from '../logger.js';
import { isUuid } from '../pagination.js';
import { refuse } from './refusals.js';

/**
 * A subgraph's change feed: the ids of its entities as their changes commit, told by database
 * triggers over PostgreSQL LISTEN/NOTIFY (so a change made through any replica reaches every one),
 * fanned out to the gateway over Server-Sent Events at `GET /events` and to the subgraph's own
 * subscription resolvers.
 */

/** One entity that changed: the gateway re-runs each subscriber's selection for it. */
export interface EntityChange {
  typename: string;
  id: string;
}

/** Someone following the feed. */
export interface ChangeListener {
  change(change: EntityChange): void;
  /** Notifications may have been missed (the LISTEN connection was lost): anything may have changed. */
  resync(typename: string): void;
  /**
   * The feed's own heartbeat came back through its LISTEN connection: every change committed
   * before `at` (milliseconds since the epoch, the sender's clock) has been told.
   */
  alive?(at: number): void;
  /** The feed stopped. */
  end?(): void;
}

/** Where listeners subscribe; returns the unsubscribe. */
export interface ChangeSource {
  subscribe(listener: ChangeListener): () => void;
}

/** Heartbeat comment: lets the gateway and proxies tell a quiet stream from a dead one. */
export const SSE_HEARTBEAT = ': ping\n\n';
const HEARTBEAT_INTERVAL_MS = 15_000;
/**
 * How often the feed notifies itself on its channel. The notification comes back through the same
 * LISTEN connection after every change committed before it, so its arrival proves the feed alive
 * and caught up to its time; the gateway's cache serves nothing a feed has not proven this recent.
 */
export const DEFAULT_SELF_NOTIFY_INTERVAL_MS = 50;
/** A feed that has not heard its own notification for this long listens again from scratch, and resyncs. */
const RELISTEN_AFTER_MS = 2_000;
/** The payload of a self-notification: this prefix, then the database's clock in milliseconds (the statement below writes it). */
const SELF_NOTIFICATION_PREFIX = 'heartbeat:';

/** Whether a statement a pool sent is a feed's self-notification, which tests counting a request's statements leave out. */
export function isSelfNotificationStatement(statement: string): boolean {
  return statement.includes(`'${SELF_NOTIFICATION_PREFIX}' ||`);
}
/** A feed client this far behind is cut off rather than buffered without end; it reconnects and resyncs. */
const MAX_UNSENT_BYTES = 1024 * 1024;

/** One Server-Sent Event, framed: each line of `data` gets its own `data:` field. */
export function serverSentEvent(event: string, data: string): string {
  const lines = data.split(/\r\n|\r|\n/).map((line) => `data: ${line}\n`);
  return `event: ${event}\n${lines.join('')}\n`;
}

/** The entity id a notification names, or undefined when its payload is not one (ids are UUIDs). */
export function notifiedId(payload: string): string | undefined {
  return isUuid(payload) ? payload.toLowerCase() : undefined;
}

/** Delivers changes to every listener; no I/O. */
export class ChangeFanOut implements ChangeSource {
  private readonly listeners = new Set<ChangeListener>();

  subscribe(listener: ChangeListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  get size(): number {
    return this.listeners.size;
  }

  publish(change: EntityChange): void {
    for (const listener of this.listeners) listener.change(change);
  }

  resync(typename: string): void {
    for (const listener of this.listeners) listener.resync(typename);
  }

  alive(at: number): void {
    for (const listener of this.listeners) listener.alive?.(at);
  }

  end(): void {
    const listeners = [...this.listeners];
    this.listeners.clear();
    for (const listener of listeners) listener.end?.();
  }
}

/**
 * The changes of some ids, for a subscription resolver: an async iterator that ends when the
 * consumer returns or the feed stops. A resync yields every id, since any may have changed unseen.
 */
export function changesOf(source: ChangeSource, ids: readonly string[]): AsyncIterableIterator<EntityChange> {
  const wanted = new Set(ids.map((id) => id.toLowerCase()));
  const queued: EntityChange[] = [];
  let waiting: ((result: IteratorResult<EntityChange>) => void) | undefined;
  let finished = false;

  const push = (change: EntityChange) => {
    if (finished) return;
    if (waiting) {
      const deliver = waiting;
      waiting = undefined;
      deliver({ value: change, done: false });
    } else queued.push(change);
  };
  const finish = () => {
    if (finished) return;
    finished = true;
    unsubscribe();
    waiting?.({ value: undefined, done: true });
    waiting = undefined;
  };
  const unsubscribe = source.subscribe({
    change: (change) => {
      if (wanted.has(change.id)) push(change);
    },
    resync: (typename) => {
      for (const id of wanted) push({ typename, id });
    },
    end: finish,
  });

  return {
    next(): Promise<IteratorResult<EntityChange>> {
      const change = queued.shift();
      if (change) return Promise.resolve({ value: change, done: false });
      if (finished) return Promise.resolve({ value: undefined, done: true });
      return new Promise((resolve) => {
        waiting = resolve;
      });
    },
    return(): Promise<IteratorResult<EntityChange>> {
      finish();
      queued.length = 0;
      return Promise.resolve({ value: undefined, done: true });
    },
    [Symbol.asyncIterator]() {
      return this;
    },
  };
}

export interface ChangeFeedOptions {
  /** The subgraph's database: the feed holds one LISTEN connection of its own on it. */
  sql: Sql;
  /** The NOTIFY channel its triggers write to, such as `greencart_product_changed`. */
  channel: string;
  /** The entity type whose ids the channel carries. */
  typename: string;
  logger: Logger;
  /** How often the feed notifies itself to prove its LISTEN connection alive (default DEFAULT_SELF_NOTIFY_INTERVAL_MS). */
  selfNotifyIntervalMs?: number;
}

/** One process's feed: one LISTEN connection, shared by every SSE client and subscription. */
export class ChangeFeed implements ChangeSource {
  private readonly fanOut = new ChangeFanOut();
  private readonly streams = new Set<Response>();
  private listening: { unlisten(): Promise<void> } | undefined;
  private listens = 0;
  private heartbeat: NodeJS.Timeout | undefined;
  private selfNotify: NodeJS.Timeout | undefined;
  private notifying = false;
  private relistening = false;
  /**
   * When the database took the oldest self-notification not heard back since (performance.now()),
   * or undefined: measured from the database's answer, so that a process busy starting up (its
   * event loop held) does not take its own lateness for a dead connection.
   */
  private unheardSince: number | undefined;
  private stopped = false;

  constructor(private readonly options: ChangeFeedOptions) {}

  get typename(): string {
    return this.options.typename;
  }

  /** Starts listening; resolves once LISTEN is in effect, so no change committed after it is missed. */
  async start(): Promise<void> {
    await this.listen();
    this.heartbeat = setInterval(() => this.ping(), HEARTBEAT_INTERVAL_MS);
    this.heartbeat.unref();
    this.selfNotify = setInterval(() => void this.notifySelf(), this.options.selfNotifyIntervalMs ?? DEFAULT_SELF_NOTIFY_INTERVAL_MS);
    this.selfNotify.unref();
  }

  private async listen(): Promise<void> {
    // postgres.js reconnects a lost LISTEN connection by itself and calls onListen again; but a
    // re-listen that fails (the database still down) is dropped silently, which notifySelf catches.
    this.listening = await this.options.sql.listen(
      this.options.channel,
      (payload) => this.notified(payload),
      () => this.listened(),
    );
  }

  subscribe(listener: ChangeListener): () => void {
    return this.fanOut.subscribe(listener);
  }

  /** `GET /events`: the feed as Server-Sent Events, for callers with service credentials only. */
  route(credentials: ServiceCredentials): RequestHandler {
    return async (req, res) => {
      const caller = await credentials.verify(req.get(SERVICE_TOKEN_HEADER));
      if (!caller) return refuse(res, 401, 'This feed answers only other GreenCart services.', ErrorCode.UNAUTHENTICATED);
      if (!mayCall(caller, credentials.serviceName, 'events')) return refuse(res, 403, `This feed does not answer ${caller}.`, ErrorCode.FORBIDDEN);
      if (this.stopped) return refuse(res, 503, 'The service is stopping.', 'SERVICE_UNAVAILABLE');
      res.writeHead(200, { 'content-type': 'text/event-stream; charset=utf-8', 'cache-control': 'no-cache, no-store', 'x-accel-buffering': 'no' });
      const send = (frame: string) => {
        if (res.writableLength > MAX_UNSENT_BYTES) {
          this.options.logger.warn('cut off a change feed client that stopped reading', { caller, channel: this.options.channel });
          res.destroy();
          return;
        }
        res.write(frame);
      };
      const unsubscribe = this.fanOut.subscribe({
        change: (change) => send(serverSentEvent('change', JSON.stringify(change))),
        resync: (typename) => send(serverSentEvent('resync', JSON.stringify({ typename }))),
        alive: (at) => send(serverSentEvent('alive', JSON.stringify({ at }))),
      });
      this.streams.add(res);
      res.on('close', () => {
        unsubscribe();
        this.streams.delete(res);
      });
      // Sent at once so the client knows it is subscribed: every change committed from now on reaches it.
      res.write(SSE_HEARTBEAT);
      this.options.logger.debug('change feed client connected', { caller, channel: this.options.channel });
    };
  }

  /** Ends every open stream and subscription, and stops listening. */
  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    clearInterval(this.heartbeat);
    clearInterval(this.selfNotify);
    for (const res of this.streams) res.end();
    this.streams.clear();
    this.fanOut.end();
    await this.listening?.unlisten().catch((error: unknown) => this.options.logger.warn('could not UNLISTEN', { channel: this.options.channel, ...errorFields(error) }));
  }

  private notified(payload: string): void {
    if (this.stopped) return;
    if (payload.startsWith(SELF_NOTIFICATION_PREFIX)) {
      const at = Number(payload.slice(SELF_NOTIFICATION_PREFIX.length));
      if (!Number.isFinite(at)) return;
      this.unheardSince = undefined;
      this.fanOut.alive(at);
      return;
    }
    const id = notifiedId(payload);
    if (!id) {
      this.options.logger.warn('ignored a notification that names no id', { channel: this.options.channel });
      return;
    }
    this.fanOut.publish({ typename: this.options.typename, id });
  }

  private listened(): void {
    this.listens += 1;
    if (this.listens === 1 || this.stopped) return;
    // Listening again after the connection was lost: whatever committed meanwhile was not told.
    this.options.logger.warn('listening again after the connection was lost; telling feed clients to resync', { channel: this.options.channel });
    this.fanOut.resync(this.options.typename);
  }

  /**
   * Notifies the channel with the database's time (every replica's feed hears every replica's); when the
   * database takes the notification but it has not come back for RELISTEN_AFTER_MS, the LISTEN
   * connection is dead unnoticed: listen again, which tells clients to resync.
   */
  private async notifySelf(): Promise<void> {
    if (this.notifying || this.stopped) return;
    this.notifying = true;
    try {
      // Stamped by the database as the statement runs, not when it was queued for a pool connection.
      await this.options.sql`select pg_notify(${this.options.channel}, 'heartbeat:' || floor(extract(epoch from clock_timestamp()) * 1000)::bigint)`;
      this.unheardSince ??= performance.now();
      if (performance.now() - this.unheardSince > RELISTEN_AFTER_MS && !this.relistening) await this.relisten();
    } catch {
      // The database is away: no notification comes back, which is what clients watch for.
    } finally {
      this.notifying = false;
    }
  }

  private async relisten(): Promise<void> {
    this.relistening = true;
    this.options.logger.warn('the change feed stopped hearing its own notifications; listening again', { channel: this.options.channel });
    try {
      await this.listening?.unlisten().catch(() => {});
      if (this.stopped) return;
      await this.listen();
      this.unheardSince = undefined;
    } finally {
      this.relistening = false;
    }
  }

  private ping(): void {
    for (const res of this.streams) res.write(SSE_HEARTBEAT);
  }
}
