import http from 'node:http';
import https from 'node:https';

/** What a sibling service answered: the body unparsed, for the caller to read as it needs. */
export interface JsonPostAnswer {
  status: number;
  statusText: string;
  body: string;
}

/** A keep-alive connection pool for POSTing JSON to sibling services. */
export interface JsonPoster {
  post(url: URL, headers: Record<string, string>, body: string, timeoutMs: number): Promise<JsonPostAnswer>;
  close(): void;
}

/**
 * POSTs JSON over node:http with keep-alive connections, at most `maxSockets` open to each origin
 * (calls beyond that wait for a free one instead of opening more). Service-to-service calls are on
 * every request's path, and Node 20's fetch spends several times the CPU of node:http on a small
 * call. Idle connections close after `idleMs`, before the sibling's own keep-alive timeout (65 s),
 * so a request is not sent on a connection the other side is closing.
 */
export function createJsonPoster(options: { maxSockets: number; idleMs?: number }): JsonPoster {
  const settings = { keepAlive: true, maxSockets: options.maxSockets, maxFreeSockets: options.maxSockets, timeout: options.idleMs ?? 30_000, scheduling: 'lifo' as const };
  const agents = { 'http:': new http.Agent(settings), 'https:': new https.Agent(settings) };
  return {
    post(url, headers, body, timeoutMs) {
      return new Promise<JsonPostAnswer>((resolve, reject) => {
        const transport = url.protocol === 'https:' ? https : http;
        const request = transport.request(
          url,
          { method: 'POST', agent: agents[url.protocol === 'https:' ? 'https:' : 'http:'], headers: { ...headers, 'content-length': String(Buffer.byteLength(body)) } },
          (response) => {
            const chunks: Buffer[] = [];
            response.on('data', (chunk: Buffer) => chunks.push(chunk));
            response.on('error', fail);
            response.on('end', () => {
              clearTimeout(deadline);
              resolve({ status: response.statusCode ?? 0, statusText: response.statusMessage ?? '', body: Buffer.concat(chunks).toString('utf8') });
            });
          },
        );
        const deadline = setTimeout(() => request.destroy(new Error(`no answer within ${timeoutMs} ms`)), timeoutMs);
        function fail(error: Error) {
          clearTimeout(deadline);
          reject(error);
        }
        request.on('error', fail);
        request.end(body);
      });
    },
    close() {
      agents['http:'].destroy();
      agents['https:'].destroy();
    },
  };
}
