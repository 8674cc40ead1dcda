import { desc, inArray } from 'drizzle-orm';
import { isUuid } from '@greencart/platform';
import type { Executor } from './database.js';
import { notes, type NoteRow } from './schema.js';

/** Notes SQL, returning plain rows. */
export class NoteRepository {
  constructor(private readonly db: Executor) {}

  async findByIds(ids: readonly string[]): Promise<NoteRow[]> {
    const valid = ids.filter(isUuid);
    if (valid.length === 0) return [];
    return this.db.select().from(notes).where(inArray(notes.id, valid));
  }

  async listNewest(limit: number): Promise<NoteRow[]> {
    return this.db.select().from(notes).orderBy(desc(notes.createdAt), desc(notes.id)).limit(limit);
  }

  async insert(text: string): Promise<NoteRow> {
    const [row] = await this.db.insert(notes).values({ text }).returning();
    return row!;
  }
}
