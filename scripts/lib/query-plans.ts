import { createRequire } from 'node:module';
import { join } from 'node:path';
import { parse, print, type DocumentNode } from 'graphql';
import { operationFromDocument, Supergraph } from '@apollo/federation-internals';
import { prettyFormatQueryPlan, QueryPlanner, type PlanNode, type QueryPlan, type SubscriptionNode } from '@apollo/query-planner';
import { liveOperation, operationDocuments, queryPlannerConfig } from '@greencart/gateway';
import { repositoryRoot } from './supergraph.js';

/** The gateway's query plan for every client operation (committed; `npm run query-plans`). */
export const queryPlansPath = join(repositoryRoot, 'docs', 'query-plans.md');

const plannerVersion = (createRequire(import.meta.url)('@apollo/query-planner/package.json') as { version: string }).version;

/** One client operation as the gateway runs it. */
export interface OperationPlan {
  name: string;
  kind: 'query' | 'mutation' | 'subscription';
  /** Subgraph fetches in the plan, and how many go to each subgraph. */
  fetches: number;
  perSubgraph: Record<string, number>;
  /** Fetches that must wait for one another: the longest chain through the plan. */
  rounds: number;
  /** The plan as `@apollo/query-planner` prints it. */
  plan: string;
  /** Planned with incremental delivery on, as the gateway plans a query with @defer for a client that accepts parts: the first part's fetches and rounds. */
  firstPart?: { fetches: number; rounds: number };
}

/**
 * Plans each operation of `operationsSource` (with the fragments it uses) over the supergraph, with
 * the planner and configuration the gateway uses. A subscription is planned as the query the
 * gateway runs for each change (see gateway/src/live/live-operation.ts), since that is what runs.
 * With `deferred`, only the operations that use @defer, planned as the gateway plans them for a
 * client that accepts parts.
 */
export function planOperations(supergraphSdl: string, operationsSource: string, options: { deferred?: boolean } = {}): OperationPlan[] {
  const supergraph = Supergraph.build(supergraphSdl);
  const apiSchema = supergraph.apiSchema();
  // The deferred planner's settings are DeferExecutor's (gateway/src/defer/defer-executor.ts).
  const planner = new QueryPlanner(supergraph, options.deferred ? { ...queryPlannerConfig, incrementalDelivery: { enableDefer: true } } : queryPlannerConfig);
  const planned = operationDocuments(operationsSource).filter(({ document }) => !options.deferred || print(document).includes('@defer'));
  return planned.map(({ operation, document }) => {
    const name = operation.name?.value;
    if (!name) throw new Error('Every client operation has a name: the plans are listed by it.');
    const planned = operation.operation === 'subscription' ? liveQueryOf(document, name) : document;
    const plan = planner.buildQueryPlan(operationFromDocument(apiSchema, planned, { operationName: name }));
    const fetchNodes = fetchesOf(plan.node);
    const perSubgraph: Record<string, number> = {};
    for (const serviceName of fetchNodes.sort()) perSubgraph[serviceName] = (perSubgraph[serviceName] ?? 0) + 1;
    // The printer leaves trailing spaces on blank lines; a committed file should not carry them.
    const printed = prettyFormatQueryPlan(plan).replace(/[ \t]+$/gm, '');
    const firstPart = options.deferred && plan.node?.kind === 'Defer' ? { fetches: fetchesOf(plan.node.primary.node).length, rounds: roundsOf(plan.node.primary.node) } : undefined;
    return { name, kind: operation.operation, fetches: fetchNodes.length, perSubgraph, rounds: roundsOf(plan.node), plan: printed, ...(firstPart ? { firstPart } : {}) };
  });
}

/** The query the gateway's subscription server runs for each change the subscription is told of. */
function liveQueryOf(document: DocumentNode, name: string): DocumentNode {
  const operation = document.definitions.find((definition) => definition.kind === 'OperationDefinition' && definition.name?.value === name);
  const live = operation?.kind === 'OperationDefinition' ? liveOperation(document, operation) : undefined;
  if (!live) throw new Error(`Subscription ${name} is not one the gateway serves (liveOperation refuses it).`);
  return parse(live.query);
}

type Node = QueryPlan['node'] | PlanNode | SubscriptionNode;

/** The subgraph of every fetch in a plan. */
function fetchesOf(node: Node): string[] {
  if (!node) return [];
  switch (node.kind) {
    case 'Fetch':
      return [node.serviceName];
    case 'Sequence':
    case 'Parallel':
      return node.nodes.flatMap(fetchesOf);
    case 'Flatten':
      return fetchesOf(node.node);
    case 'Condition':
      return [...fetchesOf(node.ifClause), ...fetchesOf(node.elseClause)];
    case 'Defer':
      return [...fetchesOf(node.primary.node), ...node.deferred.flatMap((deferred) => fetchesOf(deferred.node))];
    case 'Subscription':
      return [node.primary.serviceName, ...fetchesOf(node.rest)];
  }
}

/** The longest chain of fetches that wait for one another. */
function roundsOf(node: Node): number {
  if (!node) return 0;
  switch (node.kind) {
    case 'Fetch':
      return 1;
    case 'Sequence':
      return node.nodes.reduce((sum, child) => sum + roundsOf(child), 0);
    case 'Parallel':
      return Math.max(0, ...node.nodes.map(roundsOf));
    case 'Flatten':
      return roundsOf(node.node);
    case 'Condition':
      return Math.max(roundsOf(node.ifClause), roundsOf(node.elseClause));
    case 'Defer':
      return roundsOf(node.primary.node) + Math.max(0, ...node.deferred.map((deferred) => roundsOf(deferred.node)));
    case 'Subscription':
      return 1 + roundsOf(node.rest);
  }
}

const counted = (count: number, one: string, many: string) => `${count} ${count === 1 ? one : many}`;
const subgraphsOf = ({ perSubgraph }: OperationPlan) =>
  Object.entries(perSubgraph)
    .map(([subgraph, count]) => (count === 1 ? subgraph : `${subgraph} ×${count}`))
    .join(', ');

/** A deferred operation's heading: apart from a client operation of the same name. */
const headingOf = (entry: OperationPlan, deferred: boolean) => (deferred ? `${entry.name} (deferred)` : entry.name);
const anchorOf = (entry: OperationPlan, deferred: boolean) => (deferred ? `${entry.name.toLowerCase()}-deferred` : entry.name.toLowerCase());

/** One operation's section of docs/query-plans.md. */
function sectionOf(entry: OperationPlan, deferred = false): string {
  const firstPart = entry.firstPart ? ` The first part: ${counted(entry.firstPart.fetches, 'fetch', 'fetches')}, in ${counted(entry.firstPart.rounds, 'round', 'rounds')}.` : '';
  const summary =
    entry.fetches === 0
      ? 'no subgraph fetch.'
      : `${counted(entry.fetches, 'subgraph fetch', 'subgraph fetches')} (${subgraphsOf(entry)}), in ${counted(entry.rounds, 'round', 'rounds')}${entry.firstPart ? ' to the last part' : ''}.${firstPart}`;
  const live =
    entry.kind === 'subscription'
      ? "\n\nA subscription: for each change of its entity, the gateway runs it as a query of that entity by id (`liveOperation`, gateway/src/live/live-operation.ts), and this is that query's plan."
      : '';
  return `## ${headingOf(entry, deferred)}\n\n${entry.kind}: ${summary}${live}\n\n\`\`\`\n${entry.plan}\n\`\`\`\n`;
}

/**
 * docs/query-plans.md: a summary table, then one section per operation in the order of the
 * operations file; then the same for `deferredPlans` (deferredOperationsPath, planned with @defer on).
 */
export function queryPlansDocument(plans: OperationPlan[], deferredPlans: OperationPlan[] = []): string {
  const rowOf = (entry: OperationPlan, deferred: boolean) =>
    `| [${headingOf(entry, deferred)}](#${anchorOf(entry, deferred)}) | ${entry.kind} | ${entry.fetches} | ${entry.rounds} | ${subgraphsOf(entry)} |`;
  const rows = plans.map((entry) => rowOf(entry, false));
  const deferred =
    deferredPlans.length === 0
      ? []
      : [
          `The client operations with \`@defer\` (the contract's \`ProductPage\`), as the gateway plans them for a client that accepts parts: with incremental delivery on, the first part (the \`Defer\` node's \`Primary\`) apart from each labelled \`Deferred\` part (see "@defer" in [architecture](architecture.md)). Rounds count to the last part. A client that wants one JSON answer gets the plan of the same query without \`@defer\`.`,
          '',
          '| operation | type | fetches | rounds | subgraphs |',
          '| --- | --- | --- | --- | --- |',
          ...deferredPlans.map((entry) => rowOf(entry, true)),
          '',
        ];
  return [
    '# Query plans',
    '',
    '<!-- Generated by `npm run query-plans` (part of `npm run generate`): do not edit. -->',
    '',
    `How the gateway fetches each client operation (\`client/src/operations.graphql\`) from the subgraphs: the plan \`@apollo/query-planner\` ${plannerVersion} makes over \`supergraph.graphql\`, with the gateway's planner configuration. A change to a schema or an operation that adds a subgraph fetch, or a round of fetches that wait for one another, shows here in review. \`test/query-plans.test.ts\` fails when this file is stale: run \`npm run generate\`.`,
    '',
    '| operation | type | fetches | rounds | subgraphs |',
    '| --- | --- | --- | --- | --- |',
    ...rows,
    '',
    ...deferred,
    ...plans.map((entry) => sectionOf(entry)),
    ...deferredPlans.map((entry) => sectionOf(entry, true)),
  ].join('\n');
}

/** A docs/query-plans.md's sections by operation name. */
function sectionsByOperation(document: string): Map<string, string> {
  return new Map(
    document
      .split(/^(?=## )/m)
      .slice(1)
      .map((section) => [section.slice(3, section.indexOf('\n')), section] as const),
  );
}

/** A section's summary line: `query: 2 subgraph fetches (orders, products), in 2 rounds.` */
const summaryOf = (section: string) => section.split('\n')[2] ?? '';

/**
 * How a committed docs/query-plans.md differs from the current one, an entry per operation whose
 * plan changed (with its summary before and after), was added or was removed; empty when equal.
 */
export function queryPlanChanges(committed: string, current: string): string[] {
  if (committed === current) return [];
  const before = sectionsByOperation(committed);
  const after = sectionsByOperation(current);
  const changes: string[] = [];
  for (const [name, section] of after) {
    const old = before.get(name);
    if (old === undefined) changes.push(`${name}: new, ${summaryOf(section)}`);
    else if (old !== section) changes.push(summaryOf(old) === summaryOf(section) ? `${name}: the plan changed (${summaryOf(section)})` : `${name}: ${summaryOf(old)} → ${summaryOf(section)}`);
  }
  for (const name of before.keys()) if (!after.has(name)) changes.push(`${name}: removed`);
  return changes.length > 0 ? changes : ['the introduction or the summary table'];
}
