import { index, pgTable, text, timestamp, uuid } from 'drizzle-orm/pg-core';

export const notes = pgTable(
  'notes',
  {
    id: uuid().primaryKey().defaultRandom(),
    text: text().notNull(),
    // Millisecond precision, so that a timestamp survives a round trip through a JS Date.
    createdAt: timestamp({ withTimezone: true, precision: 3 }).notNull().defaultNow(),
  },
  (table) => [index('notes_created_at_id_idx').on(table.createdAt, table.id)],
);

export type NoteRow = typeof notes.$inferSelect;
