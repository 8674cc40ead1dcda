// The load generator: one request at a time (send), autocannon at full speed or at a fixed
// overall rate (load), and an open-loop load at an even rate (paced).
import autocannon from 'autocannon';

export async function send(url: string, request: autocannon.Request): Promise<{ status: number; body: string }> {
  const response = await fetch(`${url}${request.path}`, { method: request.method, headers: request.headers as Record<string, string>, body: request.body as string | undefined });
  return { status: response.status, body: await response.text() };
}

/** autocannon returns with requests still in flight: a pause for them to finish before counting. */
export const settle = () => new Promise((resolve) => setTimeout(resolve, 3_000));

export interface LoadResult {
  rps: number;
  p50: number;
  p99: number;
  non2xx: number;
  errors: number;
  graphqlErrors: number;
  /** Answers with a non-empty userErrors list (placeOrder refused, e.g. out of stock). */
  userErrors: number;
  /** Requests sent. */
  sent: number;
  /** With `succeeded`: answers it accepted, and answers counted in all (autocannon's, within the run). */
  succeeded?: number;
  answered?: number;
}

export async function load(
  url: string,
  makeRequest: () => autocannon.Request,
  options: { seconds: number; connections: number; overallRate?: number; succeeded?: (body: string) => boolean },
): Promise<LoadResult> {
  let graphqlErrors = 0;
  let userErrors = 0;
  let succeeded = 0;
  const result = await autocannon({
    url,
    connections: options.connections,
    duration: options.seconds,
    overallRate: options.overallRate,
    requests: [
      {
        setupRequest: (request) => ({ ...request, ...makeRequest() }),
        onResponse: (_status, body) => {
          if (body.includes('"errors"')) graphqlErrors++;
          if (body.includes('"userErrors":[{')) userErrors++;
          if (options.succeeded?.(body)) succeeded++;
        },
      },
    ],
  });
  const counted = {
    rps: result.requests.average,
    p50: result.latency.p50,
    p99: result.latency.p99,
    non2xx: result.non2xx,
    errors: result.errors,
    graphqlErrors,
    userErrors,
    sent: result.requests.sent,
  };
  return options.succeeded ? { ...counted, succeeded, answered: result.requests.total } : counted;
}

/**
 * An open-loop load at `rate` requests a second, evenly spaced: each request leaves at its
 * scheduled time whether or not earlier ones have been answered, and its latency counts from that
 * scheduled time (so a stalled server is not excused by sending less). autocannon's overallRate
 * sends each connection's quota at the start of every second, back to back, which measures a
 * burst of full concurrency rather than a steady half load; both are reported.
 */
export async function paced(url: string, makeRequest: () => autocannon.Request, options: { rate: number; seconds: number }): Promise<{ p50: number; p99: number; sent: number; failed: number }> {
  const total = Math.round(options.rate * options.seconds);
  const interval = 1000 / options.rate;
  const latencies: number[] = [];
  let failed = 0;
  const inFlight: Promise<void>[] = [];
  const start = performance.now();
  for (let i = 0; i < total; i++) {
    const due = start + i * interval;
    const wait = due - performance.now();
    if (wait > 1) await new Promise((resolve) => setTimeout(resolve, wait));
    const request = makeRequest();
    inFlight.push(
      send(url, request).then(
        (answer) => {
          if (answer.status !== 200 || answer.body.includes('"errors"')) failed++;
          latencies.push(performance.now() - due);
        },
        () => {
          failed++;
        },
      ),
    );
  }
  await Promise.all(inFlight);
  latencies.sort((a, b) => a - b);
  const at = (fraction: number) => Math.round((latencies[Math.min(latencies.length - 1, Math.floor(fraction * latencies.length))] ?? NaN) * 10) / 10;
  return { p50: at(0.5), p99: at(0.99), sent: total, failed };
}
