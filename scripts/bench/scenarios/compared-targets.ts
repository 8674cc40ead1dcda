// The four targets side by side (issue #8), each in turn: (a) the limit, (b) the monolith, (c) our
// gateway, (d) Hive Gateway, the last two over the same subgraph processes. Each runs the reads
// (reads.ts; Q4 through (c) and (d) only) and, but for the limit, M1 (place-order.ts); then its
// peak RSS is read and it is stopped. Under Q1 through (c), the services' (gateway and every
// subgraph) peak RSS is recorded from /proc.
import { sampleRss } from '../common.js';
import { log } from '../harness/log.js';
import { answers, READS, SUBGRAPHS_BEHIND } from '../harness/operations.js';
import { servicePids, type Target } from '../harness/processes.js';
import type { BenchSession } from '../harness/session.js';
import { servicesRssLine, type BenchReport } from '../report.js';
import type { TargetName, TargetSettings, TargetStats } from '../targets.js';
import { placeOrders } from './place-order.js';
import { measureRead } from './reads.js';

/** One compared target, start to stop; its figures are added to `report`. */
export async function runComparedTarget(session: BenchSession, name: TargetName, report: Pick<BenchReport, 'operations' | 'placeOrders' | 'peakRssBytes' | 'servicesRssUnderQ1'>): Promise<void> {
  const { config, fixture } = session;
  log(`starting ${name}`);
  let settings: TargetSettings;
  let fresh = false;
  if (name === 'limit') settings = { role: 'limit', serverUrl: session.serverUrl };
  else if (name === 'monolith') settings = { role: 'monolith', serverUrl: session.serverUrl, privateKeyPem: session.privateKeyPem };
  else {
    fresh = !session.subgraphs;
    settings = {
      role: name,
      serviceKeys: session.serviceKeys,
      subgraphUrls: session.subgraphUrlsOf(await session.ensureSubgraphs()),
      port: session.gatewayPorts[name],
      workers: config.gatewayWorkers,
    };
  }
  const front = await session.started(settings);
  const target: Target = { name, url: front.url, front, subgraphs: SUBGRAPHS_BEHIND.includes(name) ? session.subgraphs : undefined, freshSubgraphs: fresh };
  for (const operation of READS.filter((operation) => config.reads.includes(operation) && answers(name, operation))) {
    const sampler = name === 'greencart' && operation === 'Q1' ? sampleRss(servicePids(target)) : undefined;
    report.operations.push(await measureRead(target, operation, fixture, config));
    if (sampler) {
      report.servicesRssUnderQ1 = sampler.stop();
      log(`Q1 through (c): ${servicesRssLine(report.servicesRssUnderQ1)}`);
    }
  }
  if (name !== 'limit') report.placeOrders.push(await placeOrders(target, fixture, session.serverUrl, config));
  report.peakRssBytes[name] = (await front.request<TargetStats>({ type: 'stats' })).maxRssBytes;
  await session.stop(front);
}
