import { SERVICE_TOKEN_HEADER } from '@greencart/platform';

/** One Server-Sent Event as a feed client reads it. */
export interface FeedEvent {
  event: string;
  data: { typename: string; id?: string };
}

/** A client of a subgraph's `GET /events`, reading the stream as the gateway would. */
export interface FeedClient {
  status: number;
  /** Every event so far, in arrival order. */
  events: FeedEvent[];
  /** How many `change` events so far name this id. */
  changesOf(id: string): number;
  /** Waits (at most `timeoutMs`) until `count` events match; answers the last of them. */
  waitFor(description: string, matches: (event: FeedEvent) => boolean, count?: number, timeoutMs?: number): Promise<FeedEvent>;
  /** Resolves when the server ends the stream: `clean` when it ended it properly, not by cutting the connection. */
  ended: Promise<{ clean: boolean }>;
  close(): void;
}

/** Opens `url` (a subgraph's /events) with a service token; resolves once the stream is open. */
export async function openChangeFeed(url: string, serviceToken: string): Promise<FeedClient> {
  const abort = new AbortController();
  const response = await fetch(url, { headers: { [SERVICE_TOKEN_HEADER]: serviceToken, accept: 'text/event-stream' }, signal: abort.signal });
  if (response.status !== 200 || !response.body) throw new Error(`The feed answered ${response.status}: ${await response.text()}`);
  const events: FeedEvent[] = [];
  const waiters = new Set<() => void>();
  const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();

  const ended = (async () => {
    let buffer = '';
    try {
      for (;;) {
        const { value, done } = await reader.read();
        if (done) return { clean: true };
        buffer += value;
        let boundary: number;
        while ((boundary = buffer.indexOf('\n\n')) >= 0) {
          const frame = buffer.slice(0, boundary);
          buffer = buffer.slice(boundary + 2);
          const event = parseFrame(frame);
          if (event) {
            events.push(event);
            for (const wake of waiters) wake();
          }
        }
      }
    } catch {
      return { clean: false };
    }
  })();

  const client: FeedClient = {
    status: response.status,
    events,
    changesOf: (id) => events.filter((event) => event.event === 'change' && event.data.id === id).length,
    waitFor(description, matches, count = 1, timeoutMs = 10_000) {
      return new Promise((resolve, reject) => {
        const check = () => {
          const found = events.filter(matches);
          if (found.length < count) return;
          clearTimeout(timer);
          waiters.delete(check);
          resolve(found[count - 1]!);
        };
        const timer = setTimeout(() => {
          waiters.delete(check);
          reject(new Error(`No ${description} (wanted ${count}) in ${timeoutMs} ms; the feed sent ${JSON.stringify(events)}`));
        }, timeoutMs);
        waiters.add(check);
        check();
      });
    },
    ended,
    close: () => abort.abort(),
  };
  return client;
}

/** An event from its lines; undefined for a comment-only frame (the heartbeat). */
function parseFrame(frame: string): FeedEvent | undefined {
  let event = 'message';
  const data: string[] = [];
  for (const line of frame.split('\n')) {
    if (line.startsWith(':')) continue;
    const [field, ...rest] = line.split(':');
    const value = rest.join(':').replace(/^ /, '');
    if (field === 'event') event = value;
    if (field === 'data') data.push(value);
  }
  if (data.length === 0) return undefined;
  return { event, data: JSON.parse(data.join('\n')) as FeedEvent['data'] };
}
