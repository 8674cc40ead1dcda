// Incremental delivery (@defer) as a client sees it: the multipart/mixed answer read part by part
// as it arrives, and the parts merged into one result.

// Response trees are untyped JSON in tests (see graphql.ts).
type Json = any;

/** Apollo Client's Accept header for queries (HttpLink's default in Apollo Client 4). */
export const APOLLO_CLIENT_ACCEPT = 'multipart/mixed;deferSpec=20220824,application/json';

export interface IncrementalItem {
  data?: Json;
  path: Array<string | number>;
  label?: string;
  errors?: Array<{ message: string; path?: Array<string | number>; extensions?: { code?: string } }>;
}

export interface Part {
  data?: Json;
  errors?: IncrementalItem['errors'];
  incremental?: IncrementalItem[];
  hasNext?: boolean;
}

/**
 * The parts of a multipart/mixed body (boundary "-"), each parsed as soon as its closing boundary
 * has arrived, so that a test can act between parts.
 */
export async function* multipartParts(response: Response): AsyncGenerator<Part> {
  const decoder = new TextDecoder();
  let buffered = '';
  const reader = response.body!.getReader();
  for (;;) {
    const { done, value } = await reader.read();
    if (value) buffered += decoder.decode(value, { stream: true });
    // Every part ends at the next boundary; JSON text never holds a raw CR LF.
    let end: number;
    while ((end = buffered.indexOf('\r\n---')) >= 0) {
      const segment = buffered.slice(0, end);
      buffered = buffered.slice(end + '\r\n---'.length);
      const bodyStart = segment.indexOf('\r\n\r\n');
      if (bodyStart >= 0) yield JSON.parse(segment.slice(bodyStart + 4)) as Part;
    }
    if (done) return;
  }
}

/** Posts a query as Apollo Client does (or with the given Accept), not reading the body yet. */
export function postQuery(url: string, query: string, variables: Record<string, unknown> = {}, accept = APOLLO_CLIENT_ACCEPT): Promise<Response> {
  return fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', accept }, body: JSON.stringify({ query, variables }) });
}

/** Every part of a multipart answer. */
export async function allParts(response: Response): Promise<Part[]> {
  const parts: Part[] = [];
  for await (const part of multipartParts(response)) parts.push(part);
  return parts;
}

/** The parts merged as a client merges them: each deferred item's data into the object at its path. */
export function mergeParts(parts: Part[]): { data: Json; errors: NonNullable<Part['errors']> } {
  const [initial, ...rest] = parts;
  const data = structuredClone(initial?.data ?? null);
  const errors = [...(initial?.errors ?? [])];
  for (const item of rest.flatMap((part) => part.incremental ?? [])) {
    errors.push(...(item.errors ?? []));
    if (item.data === undefined || item.data === null) continue;
    let target: Json = data;
    for (const step of item.path) target = target?.[step];
    if (target && typeof target === 'object') deepMerge(target, item.data);
  }
  return { data, errors };
}

function deepMerge(target: Json, source: Json): void {
  for (const [key, value] of Object.entries(source)) {
    if (value && typeof value === 'object' && target[key] && typeof target[key] === 'object') deepMerge(target[key], value);
    else target[key] = value;
  }
}
