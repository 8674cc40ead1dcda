import { describe, expect, it } from 'vitest';
import { MAX_NOTE_LENGTH, noteRules } from '../src/services/note-service.js';

const invalid = (field: string) => ({ code: 'INVALID_INPUT', field, message: expect.any(String) });

describe('noteRules.text', () => {
  it.each(['Restock the top shelf.', 'Two lines,\n\tindented.', 'x'.repeat(MAX_NOTE_LENGTH)])('accepts %j', (text) => {
    expect(noteRules.text(text)).toBeUndefined();
  });

  it.each(['', '   ', 'x'.repeat(MAX_NOTE_LENGTH + 1)])('refuses %j as INVALID_INPUT on "text"', (text) => {
    expect(noteRules.text(text)).toEqual(invalid('text'));
  });

  it('refuses control characters other than line feeds and tabs, naming the character', () => {
    expect(noteRules.text('Shelf\u001B[1m', 'input.text')).toEqual({
      code: 'INVALID_INPUT',
      field: 'input.text',
      message: 'The note must not contain control characters other than line feeds and tabs (U+001B).',
    });
  });
});
