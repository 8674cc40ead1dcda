// `npm run schema:check [-- --base <git revision>] [--config <supergraph.yaml>]`: composes the working
// tree's subgraphs and fails when their API schema breaks what a client operation uses, against
// client/schema.graphql as committed at the base (default HEAD). See scripts/lib/schema-check.ts.
import { parseArgs } from 'node:util';
import { checkSchemaChange, clientOperationFiles, committedApiSchema, composedApiSchema, describeReport } from './lib/schema-check.js';

const { values } = parseArgs({ options: { base: { type: 'string', default: 'HEAD' }, config: { type: 'string' } } });
const report = await checkSchemaChange(committedApiSchema(values.base), composedApiSchema(values.config), clientOperationFiles());
const described = describeReport(report);
if (described) console.log(described);
if (report.breaking.length > 0) {
  console.error(
    `schema check failed: ${report.breaking.length} breaking change(s) that client operations use. Change those operations in the same commit (client/src/operations.graphql, then npm run generate), or keep the field (deprecate it first).`,
  );
  process.exit(1);
}
console.log(`schema check passed against ${values.base}: ${report.safe.length} compatible change(s), ${report.unusedBreaking.length} breaking change(s) no client operation uses.`);
