import { passesLuhn } from './luhn.js';

/**
 * What a log line must never hold, wherever it appears: passwords, card numbers, CVCs, bearer and
 * service tokens, secrets. Fields are redacted by name at any depth; text (messages, error
 * messages, stacks) by shape, since an error may quote what a client sent.
 */

export const REDACTED = '[REDACTED]';

/** Field names whose values are secret, compared without case, `-` or `_`. */
const SECRET_FIELD = /password|cardnumber|cvc|cvv|authorization|token|secret|privatekey|cookie/;

/** How deep a field's value is walked; log fields are the code's own small objects. */
const MAX_DEPTH = 8;

const JWT = /\beyJ[\w-]{4,}\.[\w-]{4,}\.[\w-]*/g;
const BEARER = /\b(Bearer\s+)\S+/gi;
/** `password: "…"`, `"cvc":"…"`, `cardNumber=…` inside a text, quoted or escaped or not. */
const SECRET_ASSIGNMENT = /((?:password|cardNumber|cvc|cvv|secret)\\?"?\s*[:=]\s*\\?"?)(?:[^"\\\s,}]|\\.)*/gi;
/**
 * A card number's shape: 13 to 19 digits, perhaps grouped by spaces or dashes (then checked by
 * Luhn), standing alone: not part of a longer run such as a UUID's.
 */
const DIGIT_RUN = /(?<![\w-])\d(?:[ -]?\d){12,18}(?![\w-])/g;

export function isSecretFieldName(name: string): boolean {
  return SECRET_FIELD.test(name.toLowerCase().replace(/[-_]/g, ''));
}

/** A text with tokens, card numbers and quoted secrets replaced. */
export function redactText(text: string): string {
  return text
    .replace(JWT, REDACTED)
    .replace(BEARER, `$1${REDACTED}`)
    .replace(SECRET_ASSIGNMENT, `$1${REDACTED}`)
    .replace(DIGIT_RUN, (digits) => (passesLuhn(digits.replace(/\D/g, '')) ? REDACTED : digits));
}

/** A copy of a log line's fields with every secret replaced (the original is left alone). */
export function redactFields(fields: Record<string, unknown>): Record<string, unknown> {
  return redactValue(fields, 0) as Record<string, unknown>;
}

function redactValue(value: unknown, depth: number): unknown {
  if (typeof value === 'string') return redactText(value);
  if (value === null || typeof value !== 'object') return value;
  if (depth >= MAX_DEPTH) return '[nested too deep]';
  if (Array.isArray(value)) return value.map((item) => redactValue(item, depth + 1));
  if (value instanceof Error) return redactValue({ error: value.message, stack: value.stack }, depth);
  if (value instanceof Date) return value;
  return Object.fromEntries(Object.entries(value).map(([key, item]) => [key, isSecretFieldName(key) ? REDACTED : redactValue(item, depth + 1)]));
}
