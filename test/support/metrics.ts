/** One sample's value in Prometheus' text format: the series of `name` whose labels include `labels` (0 when the series does not exist yet). */
export function sample(text: string, name: string, labels: Record<string, string> = {}): number {
  for (const line of text.split('\n')) {
    const match = /^(\w+)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (!match || match[1] !== name) continue;
    const found = Object.fromEntries([...(match[2] ?? '').matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g)].map((label) => [label[1], label[2]]));
    if (Object.entries(labels).every(([key, value]) => found[key] === value)) return Number(match[3]);
  }
  return 0;
}

/** One sample of a Prometheus metric served at `metricsUrl` (see sample). */
export async function metricValue(metricsUrl: string, name: string, labels: Record<string, string> = {}): Promise<number> {
  return sample(await (await fetch(metricsUrl)).text(), name, labels);
}
