/** DataLoader batch functions must answer in key order; these put rows back in that order. */

/** One row (or null) per key. */
export function rowsByKey<Row>(keys: readonly string[], rows: readonly Row[], keyOf: (row: Row) => string): Array<Row | null> {
  const byKey = new Map(rows.map((row) => [keyOf(row), row]));
  return keys.map((key) => byKey.get(key) ?? null);
}

/** A list of rows (possibly empty) per key, keeping the rows' order within each list. */
export function groupsByKey<Row, Value = Row>(keys: readonly string[], rows: readonly Row[], keyOf: (row: Row) => string, valueOf: (row: Row) => Value = (row) => row as unknown as Value): Value[][] {
  const groups = new Map<string, Value[]>(keys.map((key) => [key, []]));
  for (const row of rows) groups.get(keyOf(row))?.push(valueOf(row));
  return keys.map((key) => groups.get(key) ?? []);
}
