// The benchmark's chart: RPS (median of the runs at full speed) and p99 at half of peak, per
// operation and target, as a plain SVG with no dependencies.
import type { BenchReport } from './report.js';

const COLOURS: Record<string, string> = { limit: '#4c78a8', greencart: '#59a14f', monolith: '#f28e2b', hive: '#e15759' };
const LEGEND: Record<string, string> = { limit: '(a) limit', monolith: '(b) monolith', greencart: '(c) GreenCart gateway', hive: '(d) Hive Gateway' };

function panel(report: BenchReport, title: string, value: (result: BenchReport['operations'][number]) => number, unit: string, x0: number, goal?: { value: number; label: string }): string {
  const width = 420;
  const height = 260;
  const operations = [...new Set(report.operations.map((result) => result.operation))];
  const targets = [...new Set(report.operations.map((result) => result.target))];
  const max = Math.max(1, goal?.value ?? 0, ...report.operations.map(value));
  const group = width / Math.max(1, operations.length);
  const bar = (group - 20) / Math.max(1, targets.length);
  const parts = [`<text x="${x0 + width / 2}" y="20" text-anchor="middle" font-weight="bold">${title}</text>`];
  operations.forEach((operation, i) => {
    parts.push(`<text x="${x0 + i * group + group / 2}" y="${height + 55}" text-anchor="middle">${operation}</text>`);
    targets.forEach((target, j) => {
      const result = report.operations.find((candidate) => candidate.operation === operation && candidate.target === target);
      if (!result) return;
      const v = value(result);
      const h = (v / max) * height;
      const x = x0 + i * group + 10 + j * bar;
      parts.push(`<rect x="${x}" y="${40 + height - h}" width="${bar - 2}" height="${h}" fill="${COLOURS[target] ?? '#999'}"/>`);
      parts.push(`<text x="${x + bar / 2}" y="${35 + height - h}" text-anchor="middle" font-size="10">${Math.round(v)}${unit}</text>`);
    });
  });
  parts.push(`<line x1="${x0}" y1="${40 + height}" x2="${x0 + width}" y2="${40 + height}" stroke="#333"/>`);
  if (goal) {
    const y = 40 + height - (goal.value / max) * height;
    parts.push(`<line x1="${x0}" y1="${y}" x2="${x0 + width}" y2="${y}" stroke="#333" stroke-dasharray="4 3"/>`);
    parts.push(`<text x="${x0 + 2}" y="${y - 3}" font-size="10">${goal.label}</text>`);
  }
  return parts.join('\n');
}

export function renderChart(report: BenchReport): string {
  const targets = [...new Set(report.operations.map((result) => result.target))];
  const legend = targets
    .map((target, i) => `<rect x="${20 + i * 160}" y="345" width="12" height="12" fill="${COLOURS[target] ?? '#999'}"/><text x="${38 + i * 160}" y="356">${LEGEND[target] ?? target}</text>`)
    .join('\n');
  return `<svg xmlns="http://www.w3.org/2000/svg" width="900" height="370" font-family="sans-serif" font-size="12">
<rect width="900" height="370" fill="white"/>
${panel(report, 'Requests per second (median of runs)', (result) => result.peak.rps, '', 10)}
${panel(report, 'p99 at half of peak, evenly spaced (ms)', (result) => result.halfPeakPaced.p99, '', 470, { value: 50, label: 'target: 50 ms' })}
${legend}
</svg>
`;
}
