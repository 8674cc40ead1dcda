import http from 'node:http';
import https from 'node:https';
import { SERVICE_TOKEN_HEADER, type Logger, type ServiceCredentials, type ServiceName } from '@greencart/platform';

/** One change a subgraph's database committed: an entity's key. */
export interface EntityChange {
  typename: string;
  id: string;
}

export interface FeedListener {
  change(change: EntityChange): void;
  /** Changes may have been missed (the feed was away, or the subgraph lost its database listener). */
  resync(): void;
  /** The subgraph's feed heard its own notification of `at` (its clock, ms): every change committed before then has been told. */
  alive?(at: number): void;
}

/** How long the feed waits before connecting again after a drop, doubling up to the last. */
const RECONNECT_DELAYS_MS = [250, 500, 1_000, 2_000, 5_000];
/** The subgraph pings every 15 s; silence for longer than this means the stream is dead. */
const SILENCE_LIMIT_MS = 40_000;

/**
 * The gateway's one connection to a subgraph's change feed (`GET /events`, server-sent events,
 * with service credentials), shared by every subscriber in this process. It connects at start,
 * reconnects whenever the stream ends or falls silent (a subgraph restarting), and after every
 * reconnection tells its listeners to resync, since changes committed meanwhile were not seen.
 */
export class SubgraphFeed {
  private readonly listeners = new Set<FeedListener>();
  private request: http.ClientRequest | undefined;
  private stopped = false;
  private attempt = 0;
  private connectedBefore = false;
  private silence: NodeJS.Timeout | undefined;
  private retry: NodeJS.Timeout | undefined;
  private connected = false;
  private waiting: Array<() => void> = [];

  constructor(private readonly options: { name: ServiceName; url: () => string | undefined; credentials: ServiceCredentials; logger: Logger }) {}

  start(): void {
    void this.connect();
  }

  listen(listener: FeedListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Resolves once the stream is open (at once when it is), or after `withinMs` when the subgraph is away. */
  ready(withinMs: number): Promise<void> {
    if (this.connected) return Promise.resolve();
    return new Promise((resolve) => {
      const timer = setTimeout(resolve, withinMs);
      this.waiting.push(() => {
        clearTimeout(timer);
        resolve();
      });
    });
  }

  stop(): void {
    this.stopped = true;
    clearTimeout(this.retry);
    clearTimeout(this.silence);
    this.request?.destroy();
  }

  private async connect(): Promise<void> {
    const base = this.options.url();
    if (!base) return this.reconnectLater();
    const url = new URL('/events', base);
    const transport = url.protocol === 'https:' ? https : http;
    const headers = { accept: 'text/event-stream', [SERVICE_TOKEN_HEADER]: await this.options.credentials.token(this.options.name) };
    if (this.stopped) return;
    const request = transport.get(url, { headers }, (response) => {
      if (response.statusCode !== 200) {
        this.options.logger.warn('a subgraph refused its change feed', { subgraph: this.options.name, status: response.statusCode });
        response.resume();
        return;
      }
      this.attempt = 0;
      this.connected = true;
      this.waiting.splice(0).forEach((resolve) => resolve());
      if (this.connectedBefore) {
        this.options.logger.info('change feed back', { subgraph: this.options.name });
        this.listeners.forEach((listener) => listener.resync());
      }
      this.connectedBefore = true;
      this.keepAlive(request);
      response.setEncoding('utf8');
      let buffered = '';
      response.on('data', (chunk: string) => {
        this.keepAlive(request);
        buffered += chunk;
        for (let end = buffered.indexOf('\n\n'); end >= 0; end = buffered.indexOf('\n\n')) {
          this.dispatch(buffered.slice(0, end));
          buffered = buffered.slice(end + 2);
        }
      });
    });
    this.request = request;
    request.on('error', () => {});
    request.on('close', () => {
      if (this.request === request) this.request = undefined;
      this.connected = false;
      clearTimeout(this.silence);
      if (!this.stopped) this.reconnectLater();
    });
  }

  /** One server-sent event: `event:` and `data:` lines; comments (`: ping`) only prove the stream alive. */
  private dispatch(block: string): void {
    let event = 'message';
    let data = '';
    for (const line of block.split('\n')) {
      if (line.startsWith('event:')) event = line.slice(6).trim();
      else if (line.startsWith('data:')) data += line.slice(5).trim();
    }
    if (event === 'resync') this.listeners.forEach((listener) => listener.resync());
    if (event !== 'change' && event !== 'alive') return;
    try {
      const parsed = JSON.parse(data) as Partial<EntityChange> & { at?: unknown };
      if (event === 'alive') {
        const at = Number(parsed.at);
        if (Number.isFinite(at)) this.listeners.forEach((listener) => listener.alive?.(at));
      } else if (typeof parsed.typename === 'string' && typeof parsed.id === 'string') {
        const change = { typename: parsed.typename, id: parsed.id };
        this.listeners.forEach((listener) => listener.change(change));
      }
    } catch {
      this.options.logger.warn('a change feed sent an event that is not JSON', { subgraph: this.options.name });
    }
  }

  private keepAlive(request: http.ClientRequest): void {
    clearTimeout(this.silence);
    this.silence = setTimeout(() => request.destroy(), SILENCE_LIMIT_MS);
    this.silence.unref();
  }

  private reconnectLater(): void {
    const delay = RECONNECT_DELAYS_MS[Math.min(this.attempt, RECONNECT_DELAYS_MS.length - 1)]!;
    this.attempt += 1;
    this.retry = setTimeout(() => {
      this.retry = undefined;
      void this.connect();
    }, delay);
    this.retry.unref();
  }
}
