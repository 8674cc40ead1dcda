import type { Sql } from 'postgres';

/** Names of the template databases the harness builds once per test run: `<prefix><run id>_<subgraph>`. */
const TEMPLATE_PREFIX = 'greencart_template_';

/** The start of every template database name of one test run. */
export const templatePrefixOf = (runId: string): string => `${TEMPLATE_PREFIX}${runId}_`;

/** The template databases one test run has built so far on the server `admin` is connected to. */
export async function templateDatabasesOf(admin: Sql, runId: string): Promise<string[]> {
  const rows = await admin<Array<{ datname: string }>>`select datname from pg_database where starts_with(datname, ${templatePrefixOf(runId)})`;
  return rows.map((row) => row.datname);
}
