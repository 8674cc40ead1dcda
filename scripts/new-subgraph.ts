// `npm run new-subgraph <name>`: a new subgraph in the house layout, entered in the service manifest
// (supergraph.yaml) and in the files checked against it, then its first migration, the composed
// supergraph, its typed resolvers and the query plans generated. It prints what is left to write
// (docs/architecture.md, "Adding a subgraph").
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ScaffoldRefusal, scaffoldSubgraph, type ScaffoldReport } from './lib/subgraph-scaffold.js';

const root = fileURLToPath(new URL('..', import.meta.url));

/** Runs a step in the foreground; a failed step stops the scaffold, saying which. */
function run(step: string, command: string, args: string[], cwd: string): void {
  console.log(`\n> ${step}`);
  const result = spawnSync(command, args, { cwd, stdio: 'inherit' });
  if (result.status !== 0) {
    console.error(`\n${step} failed (${[command, ...args].join(' ')} in ${cwd}); the files written so far stay for you to fix or remove.`);
    process.exit(1);
  }
}

const [name, ...extra] = process.argv.slice(2);
if (!name || extra.length > 0) {
  console.error('Usage: npm run new-subgraph <name>   (lower-case letters, digits and -, starting with a letter; e.g. gift-wrap)');
  process.exit(2);
}

let report: ScaffoldReport;
try {
  report = scaffoldSubgraph(root, name);
} catch (error) {
  if (!(error instanceof ScaffoldRefusal)) throw error;
  console.error(error.message);
  process.exit(1);
}
const { names } = report;
const workspace = `subgraphs/${names.name}`;
console.log(`Subgraph ${names.name}: port ${names.port}, metrics port ${names.metricsPort}, database ${names.database}`);
console.log(`\nWrote:\n${report.written.map((file) => `  ${file}`).join('\n')}`);
console.log(`\nAdded ${names.name} to:\n${report.edited.map((file) => `  ${file}`).join('\n')}`);

run(`its first migration (drizzle-kit, ${workspace}/migrations)`, join(root, 'node_modules', '.bin', 'drizzle-kit'), ['generate', '--name', 'init'], join(root, workspace));
run('compose, typed resolvers and query plans (npm run generate)', 'npm', ['run', 'generate'], root);

console.log(`\nSubgraph ${names.name} is in place: \`npm start\` serves ${names.camelName}Notes and add${names.pascalName}Note through the gateway.`);
console.log(`\nLeft to do (docs/architecture.md, "Adding a subgraph"):\n${report.remaining.map((item) => `  - [ ] ${item}`).join('\n')}`);
