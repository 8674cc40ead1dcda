import { describe, expect, it } from 'vitest';
import { freeTextProblem, type FreeTextKind } from '../src/text-input.js';

const KINDS: FreeTextKind[] = ['single-line', 'multi-line', 'name'];

describe('freeTextProblem', () => {
  it.each([
    'Ada Lovelace',
    'Zoë Ñúñez-O’Brien',
    '李小龍',
    'محمد',
    'שלום עליכם',
    // ZWNJ in Persian spelling, ZWJ in an emoji family: the joiners stay allowed.
    'می\u200Cخواهم',
    '\u{1F468}\u200D\u{1F469}\u200D\u{1F467} Family pack',
    // A subdivision flag (Scotland) is spelled with Cf tag characters.
    'Shortbread \u{1F3F4}\u{E0067}\u{E0062}\u{E0073}\u{E0063}\u{E0074}\u{E007F}',
    'Café au lait\u00A0100\u202Fg',
    '',
  ])('accepts %j as any kind', (text) => {
    for (const kind of KINDS) expect(freeTextProblem('The name', text, kind)).toBeUndefined();
  });

  it.each([
    ['NUL', '\u0000'],
    ['SOH', 'a\u0001b'],
    ['an ESC sequence', 'Ada\u001B[2J'],
    ['a carriage return', 'line\r'],
    ['a vertical tab', 'a\u000Bb'],
    ['a form feed', 'a\u000Cb'],
    ['DEL', 'Ada\u007F'],
    ['C1 NEL', 'a\u0085b'],
    ['C1 CSI', 'a\u009Bb'],
    ['the last C1 control', '\u009F'],
    ['a line separator', 'a\u2028b'],
    ['a paragraph separator', 'a\u2029b'],
  ])('refuses %s in every kind, naming the character', (_, text) => {
    for (const kind of KINDS) expect(freeTextProblem('The name', text, kind)).toMatch(/^The name must not contain control characters.* \(U\+[0-9A-F]{4}\)\.$/);
  });

  it('names the first control character by its code point', () => {
    expect(freeTextProblem('The city', 'Ber\u001Blin\u0007', 'single-line')).toBe('The city must not contain control characters (U+001B).');
    expect(freeTextProblem('Name', 'x\u007F', 'name')).toBe('Name must not contain control characters (U+007F).');
    expect(freeTextProblem('Name', 'x\u0085', 'name')).toBe('Name must not contain control characters (U+0085).');
  });

  it('allows line feeds and tabs in multi-line text only', () => {
    const text = 'Ingredients:\n\t- oats\n\t- honey';
    expect(freeTextProblem('Description', text, 'multi-line')).toBeUndefined();
    expect(freeTextProblem('Name', text, 'name')).toBe('Name must not contain control characters (U+000A).');
    expect(freeTextProblem('The first line', 'a\tb', 'single-line')).toBe('The first line must not contain control characters (U+0009).');
  });

  it('says which control characters multi-line text may hold', () => {
    expect(freeTextProblem('Description', 'one\r\ntwo', 'multi-line')).toBe('Description must not contain control characters other than line feeds and tabs (U+000D).');
  });

  it('accepts the characters next to the control ranges', () => {
    for (const kind of KINDS) expect(freeTextProblem('Name', ' ~\u00A0\u00A1', kind)).toBeUndefined();
  });

  it.each(['\u202A', '\u202B', '\u202C', '\u202D', '\u202E', '\u2066', '\u2067', '\u2068', '\u2069'])('refuses the bidirectional control %j in every kind', (control) => {
    for (const kind of KINDS) {
      expect(freeTextProblem('Name', `invoice${control}fdp.exe`, kind)).toMatch(/^Name must not contain bidirectional text controls \(U\+20[26][0-9A-E]\)\.$/);
    }
  });

  it.each([
    ['a zero-width space', '\u200B'],
    ['a left-to-right mark', '\u200E'],
    ['a right-to-left mark', '\u200F'],
    ['a soft hyphen', '\u00AD'],
    ['a word joiner', '\u2060'],
    ['a byte order mark', '\uFEFF'],
    ['an Arabic letter mark', '\u061C'],
    ['a stray tag character', '\u{E0041}'],
  ])('refuses %s in names only', (_, character) => {
    const text = `Ad${character}a`;
    expect(freeTextProblem('The name', text, 'name')).toMatch(/^The name must not contain invisible formatting characters \(U\+[0-9A-F]{4,5}\)\.$/);
    expect(freeTextProblem('The first line', text, 'single-line')).toBeUndefined();
    expect(freeTextProblem('Description', text, 'multi-line')).toBeUndefined();
  });

  it('refuses tag characters in a name outside a well-formed flag', () => {
    expect(freeTextProblem('Name', 'Flag \u{1F3F4}\u{E0067}\u{E0062}', 'name')).toBe('Name must not contain invisible formatting characters (U+E0067).');
  });
});
