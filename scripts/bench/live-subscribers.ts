// S1's client side (`npm run bench`, target `subscriptions`; the soak's too): a process of its own,
// forked by the bench, that opens the productUpdated subscribers on the gateway (graphql-transport-ws over `ws`, one
// WebSocket connection per subscriber, as a browser tab holds one) and commits the stock changes
// they watch straight in the products database, which is what the change feed carries. Writer and
// receivers share this process's clock, so a delivery's latency is one performance.now() minus another.
// It talks to run.ts over IPC:
//   → { type: 'ready' }
//   ← { type: 'open' }                                → { type: 'open', seconds, failed }
//   ← { type: 'changes', rate, seconds, drainSeconds } → { type: 'changes', result: DeliveryResult }
//   ← { type: 'status' }                              → { type: 'status', open, closed }
//   ← { type: 'close' }                               → { type: 'close' }
import { randomInt } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import postgres from 'postgres';
import WebSocket from 'ws';

export interface LiveSubscribersSettings {
  /** The gateway's WebSocket endpoint, ws://127.0.0.1:…/graphql. */
  gatewayUrl: string;
  productsDatabaseUrl: string;
  /** The hot products: each subscriber watches 1 to `maxIdsPerSubscriber` of them. */
  productIds: string[];
  subscribers: number;
  maxIdsPerSubscriber: number;
  /** The subscription document as the client sends it (its persisted ProductUpdated). */
  document: string;
  operationName: string;
}

/** What the subscribers received for the changes of one phase. */
export interface DeliveryResult {
  changes: number;
  /** Changes committed per second, as achieved. */
  achievedRate: number;
  /** Deliveries expected: for each change, every subscriber watching its product. */
  expected: number;
  delivered: number;
  lost: number;
  duplicates: number;
  /** Events that match no change of the phase (a product read in a later state, say). */
  unexpected: number;
  errors: number;
  /** Commit to receipt, from when the autocommit UPDATE was sent (ms). */
  latency: { p50: number; p99: number; max: number };
  /** How long the UPDATE took to be acknowledged (the commit itself), p50 / max (ms). */
  commit: { p50: number; max: number };
  /** This client process's own event-loop delay, to show it was not the bottleneck (ms). */
  clientEventLoopDelay: { p99: number; max: number };
  /** CPU this client process spent over the phase (receiving and checking every event; ms). */
  clientCpuMs: number;
}

interface Change {
  productId: string;
  stock: number;
  sentAt: number;
  committedAt?: number;
}

interface Receipt {
  count: number;
  firstAt: number;
}

interface Subscriber {
  productIds: string[];
  /** By stock value, which is unique per change. */
  received: Map<number, Receipt>;
  unexpected: number;
  errors: number;
}

const settings = JSON.parse(process.env.BENCH_S1 ?? '{}') as LiveSubscribersSettings;
/** Stock values start far above the seeded stock, one more per change: unique over the run. */
let nextStock = 10_000_000;
const subscribers: Subscriber[] = [];
const sockets: WebSocket[] = [];
const changesByStock = new Map<number, Change>();

const at = (sorted: number[], fraction: number) => Math.round((sorted[Math.min(sorted.length - 1, Math.floor(fraction * sorted.length))] ?? NaN) * 10) / 10;

/** The open-files limit must leave room for one socket per subscriber (and as many on the gateway's side). */
function checkFileLimit(): void {
  const limits = readFileSync('/proc/self/limits', 'utf8');
  const soft = Number(/^Max open files\s+(\d+)/m.exec(limits)?.[1] ?? Infinity);
  if (soft < settings.subscribers + 256) throw new Error(`open files limited to ${soft}: raise it (ulimit -n ${settings.subscribers + 1024}) before running S1`);
}

function pickProducts(): string[] {
  const count = 1 + randomInt(settings.maxIdsPerSubscriber);
  const chosen = new Set<string>();
  while (chosen.size < count) chosen.add(settings.productIds[randomInt(settings.productIds.length)]!);
  return [...chosen];
}

/**
 * One connection, one subscription; resolves once the connection is acknowledged and the
 * subscription sent. The graphql-transport-ws messages are written and read here over `ws` rather
 * than through graphql-ws's client: these subscribers stand for browsers on other machines, so the
 * CPU they take on this one is kept small (a message is parsed once, nothing else), leaving the
 * two cores to what is measured. `ws` answers the gateway's keep-alive pings itself.
 */
function openSubscriber(): Promise<boolean> {
  const subscriber: Subscriber = { productIds: pickProducts(), received: new Map(), unexpected: 0, errors: 0 };
  subscribers.push(subscriber);
  return new Promise((resolve) => {
    const socket = new WebSocket(settings.gatewayUrl, 'graphql-transport-ws');
    sockets.push(socket);
    socket.on('open', () => socket.send(JSON.stringify({ type: 'connection_init', payload: {} })));
    socket.on('error', () => resolve(false));
    socket.on('close', () => resolve(false));
    socket.on('message', (data: Buffer) => {
      const receivedAt = performance.now();
      const message = JSON.parse(data.toString()) as { type: string; payload?: { data?: { productUpdated?: { id: string; stock: number } }; errors?: unknown } };
      if (message.type === 'connection_ack') {
        socket.send(JSON.stringify({ id: '1', type: 'subscribe', payload: { query: settings.document, operationName: settings.operationName, variables: { ids: subscriber.productIds } } }));
        resolve(true);
        return;
      }
      if (message.type === 'ping') {
        socket.send('{"type":"pong"}');
        return;
      }
      if (message.type !== 'next') {
        subscriber.errors++;
        return;
      }
      const product = message.payload?.data?.productUpdated;
      if (message.payload?.errors || !product) {
        subscriber.errors++;
        return;
      }
      const change = changesByStock.get(product.stock);
      if (!change || change.productId !== product.id) {
        subscriber.unexpected++;
        return;
      }
      const receipt = subscriber.received.get(product.stock);
      if (receipt) receipt.count++;
      else subscriber.received.set(product.stock, { count: 1, firstAt: receivedAt });
    });
  });
}

async function open(): Promise<{ seconds: number; failed: number }> {
  checkFileLimit();
  const started = performance.now();
  let failed = 0;
  // A few dozen handshakes at a time, as a crowd of tabs arriving would be spread out.
  const batch = 50;
  for (let first = 0; first < settings.subscribers; first += batch) {
    const opened = await Promise.all(Array.from({ length: Math.min(batch, settings.subscribers - first) }, openSubscriber));
    failed += opened.filter((ok) => !ok).length;
  }
  return { seconds: Math.round((performance.now() - started) / 100) / 10, failed };
}

/**
 * `rate` stock changes a second for `seconds`, evenly spaced and round-robin over the hot products
 * (so each product changes every productIds.length / rate seconds), then a wait for stragglers.
 */
async function changes(rate: number, seconds: number, drainSeconds: number): Promise<DeliveryResult> {
  const sql = postgres(settings.productsDatabaseUrl, { max: 4, onnotice: () => {} });
  const delay = monitorEventLoopDelay({ resolution: 5 });
  const phase: Change[] = [];
  const commits: Promise<void>[] = [];
  const cpuBefore = process.cpuUsage();
  try {
    delay.enable();
    const total = Math.round(rate * seconds);
    const interval = 1000 / rate;
    const start = performance.now();
    for (let n = 0; n < total; n++) {
      const wait = start + n * interval - performance.now();
      if (wait > 1) await new Promise((resolve) => setTimeout(resolve, wait));
      const change: Change = { productId: settings.productIds[n % settings.productIds.length]!, stock: nextStock++, sentAt: performance.now() };
      changesByStock.set(change.stock, change);
      phase.push(change);
      commits.push(
        sql`update products set stock = ${change.stock} where id = ${change.productId}`.then(() => {
          change.committedAt = performance.now();
        }),
      );
    }
    await Promise.all(commits);
    const achievedRate = Math.round((total / ((performance.now() - start) / 1000)) * 10) / 10;
    await new Promise((resolve) => setTimeout(resolve, drainSeconds * 1000));
    delay.disable();
    const cpu = process.cpuUsage(cpuBefore);

    const phaseStocks = new Set(phase.map((change) => change.stock));
    let expected = 0;
    let delivered = 0;
    let lost = 0;
    let duplicates = 0;
    const latencies: number[] = [];
    for (const change of phase) {
      for (const subscriber of subscribers) {
        if (!subscriber.productIds.includes(change.productId)) continue;
        expected++;
        const receipt = subscriber.received.get(change.stock);
        if (!receipt) {
          lost++;
          continue;
        }
        delivered++;
        duplicates += receipt.count - 1;
        latencies.push(receipt.firstAt - change.sentAt);
      }
    }
    let unexpected = 0;
    let errors = 0;
    for (const subscriber of subscribers) {
      unexpected += subscriber.unexpected;
      errors += subscriber.errors;
      subscriber.unexpected = 0;
      subscriber.errors = 0;
      // Receipts of changes from no phase at all would have been counted unexpected already.
      for (const stock of subscriber.received.keys()) if (!phaseStocks.has(stock)) subscriber.received.delete(stock);
    }
    latencies.sort((a, b) => a - b);
    const commitTimes = phase.map((change) => (change.committedAt ?? NaN) - change.sentAt).sort((a, b) => a - b);
    return {
      changes: total,
      achievedRate,
      expected,
      delivered,
      lost,
      duplicates,
      unexpected,
      errors,
      latency: { p50: at(latencies, 0.5), p99: at(latencies, 0.99), max: Math.round((latencies.at(-1) ?? NaN) * 10) / 10 },
      commit: { p50: at(commitTimes, 0.5), max: Math.round((commitTimes.at(-1) ?? NaN) * 10) / 10 },
      clientEventLoopDelay: { p99: Math.round(delay.percentile(99) / 1e5) / 10, max: Math.round(delay.max / 1e5) / 10 },
      clientCpuMs: Math.round((cpu.user + cpu.system) / 1000),
    };
  } finally {
    await sql.end({ timeout: 5 });
  }
}

/** Connections still open, and those the gateway (or the network) closed: a long run's dropped subscribers. */
function status(): { open: number; closed: number } {
  const open = sockets.filter((socket) => socket.readyState === WebSocket.OPEN).length;
  return { open, closed: sockets.length - open };
}

async function close(): Promise<void> {
  await Promise.all(
    sockets.map(
      (socket) =>
        new Promise<void>((resolve) => {
          if (socket.readyState === WebSocket.CLOSED) return resolve();
          socket.once('close', () => resolve());
          socket.close(1000);
        }),
    ),
  );
  sockets.length = 0;
}

if (process.send && process.env.BENCH_S1) {
  process.on('message', (message: { type: string; rate?: number; seconds?: number; drainSeconds?: number }) => {
    const answer =
      message.type === 'open'
        ? open().then((opened) => ({ type: 'open', ...opened }))
        : message.type === 'changes'
          ? changes(message.rate!, message.seconds!, message.drainSeconds!).then((result) => ({ type: 'changes', result }))
          : message.type === 'status'
            ? Promise.resolve({ type: 'status', ...status() })
            : close().then(() => ({ type: 'close' }));
    answer.then(
      (reply) => process.send!(reply),
      (error: unknown) => process.send!({ type: 'failed', error: error instanceof Error ? error.stack : String(error) }),
    );
  });
  process.send({ type: 'ready' });
}
