import DataLoader from 'dataloader';
import { rowsByKey } from '@greencart/platform';
import type { __Name__Db } from './db/database.js';
import { NoteRepository } from './db/note-repository.js';
import type { NoteRow } from './db/schema.js';

/** Per-request loaders: each turns the N lookups of one GraphQL response into one statement. */
export function createLoaders(db: __Name__Db) {
  const notes = new NoteRepository(db);
  return {
    /** Notes by id for `_entities` references from the gateway. */
    noteById: new DataLoader<string, NoteRow | null>(async (ids) => rowsByKey(ids, await notes.findByIds(ids), (row) => row.id)),
  };
}
export type __Name__Loaders = ReturnType<typeof createLoaders>;
