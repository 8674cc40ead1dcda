import { freeTextProblem, pageSize, userError, UserErrorCode, type UserError } from '@greencart/platform';
import type { Executor } from '../db/database.js';
import { NoteRepository } from '../db/note-repository.js';
import type { NoteRow } from '../db/schema.js';

/** The longest note, in characters. */
export const MAX_NOTE_LENGTH = 1000;

/** The rules a note's input must meet: undefined when it does, else the user error to answer with. */
export const noteRules = {
  text(text: string, field = 'text'): UserError | undefined {
    if (text.trim() === '') return userError(UserErrorCode.INVALID_INPUT, 'The note must not be empty.', field);
    if (text.length > MAX_NOTE_LENGTH) return userError(UserErrorCode.INVALID_INPUT, `The note must be at most ${MAX_NOTE_LENGTH} characters.`, field);
    const problem = freeTextProblem('The note', text, 'multi-line');
    return problem ? userError(UserErrorCode.INVALID_INPUT, problem, field) : undefined;
  },
};

export type NoteResult = { value: NoteRow; userErrors: [] } | { value: null; userErrors: UserError[] };

/** Notes: listing them, and adding one once its text passes the rules. */
export class NoteService {
  private readonly notes: NoteRepository;

  constructor(db: Executor) {
    this.notes = new NoteRepository(db);
  }

  listNotes(first: number | null | undefined): Promise<NoteRow[]> {
    return this.notes.listNewest(pageSize(first));
  }

  async addNote(text: string): Promise<NoteResult> {
    const problem = noteRules.text(text);
    if (problem) return { value: null, userErrors: [problem] };
    return { value: await this.notes.insert(text.trim()), userErrors: [] };
  }
}
