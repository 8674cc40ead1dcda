/**
 * Which characters free text from a client may hold.
 * - `single-line` (addresses, phone numbers, SKUs, keys, search text): no control characters
 *   (Unicode Cc: C0, DEL, C1), no line or paragraph separators, and no bidirectional embedding,
 *   override or isolate controls, which make stored text display in another order than it reads.
 * - `multi-line` (descriptions): the same, except that line feeds (\n) and tabs are allowed; a
 *   carriage return is not, so clients send line breaks as \n.
 * - `name` (customer, product and category names): as `single-line`, and no other invisible
 *   format characters (Unicode Cf: zero-width spaces, soft hyphens, direction marks, …), so that
 *   two names that look alike are alike; the zero-width joiners that scripts and emoji need stay.
 */
export type FreeTextKind = 'single-line' | 'multi-line' | 'name';

const CONTROL = /[\u0000-\u001F\u007F-\u009F\u2028\u2029]/;
const CONTROL_EXCEPT_LINE_FEED_AND_TAB = /[\u0000-\u0008\u000B-\u001F\u007F-\u009F\u2028\u2029]/;
const BIDI_CONTROL = /[\u202A-\u202E\u2066-\u2069]/;
// Cf but ZWNJ and ZWJ (Persian and Indic spelling, emoji sequences).
const INVISIBLE_FORMAT = /(?![\u200C\u200D])\p{Cf}/u;
// Subdivision flags (England, Scotland, Wales) are a black flag followed by Cf tag characters.
const EMOJI_TAG_SEQUENCE = /\u{1F3F4}[\u{E0020}-\u{E007E}]+\u{E007F}/gu;

/**
 * Checks free text from a client. Returns the message for a user error, starting with `label`
 * ("The name must not contain control characters (U+001B)."), or undefined when the text is fine.
 */
export function freeTextProblem(label: string, text: string, kind: FreeTextKind): string | undefined {
  const control = (kind === 'multi-line' ? CONTROL_EXCEPT_LINE_FEED_AND_TAB : CONTROL).exec(text);
  if (control) {
    const allowed = kind === 'multi-line' ? ' other than line feeds and tabs' : '';
    return `${label} must not contain control characters${allowed} (${codePoint(control[0])}).`;
  }
  const bidi = BIDI_CONTROL.exec(text);
  if (bidi) return `${label} must not contain bidirectional text controls (${codePoint(bidi[0])}).`;
  if (kind === 'name') {
    const invisible = INVISIBLE_FORMAT.exec(text.replace(EMOJI_TAG_SEQUENCE, ''));
    if (invisible) return `${label} must not contain invisible formatting characters (${codePoint(invisible[0])}).`;
  }
  return undefined;
}

/** "U+001B": how the message names a character that cannot be shown. */
function codePoint(character: string): string {
  return `U+${character.codePointAt(0)!.toString(16).toUpperCase().padStart(4, '0')}`;
}
