/** A customer as the public sees them beside what they wrote: an id for references and a short name. */
export interface PublicAuthor {
  id: string;
  name: string;
}

/** Shown for an author whose account no longer exists. */
export const FORMER_CUSTOMER = 'A former customer';

/**
 * The public form of a customer's name: the first word and the initial of the last ("Ann Lee" →
 * "Ann L.", "Ann Marie van Dijk" → "Ann D."), a one-word name as it is. Enough to tell reviewers
 * apart, too little to find them.
 */
export function publicName(fullName: string): string {
  const words = fullName.trim().split(/\s+/u).filter(Boolean);
  if (words.length === 0) return FORMER_CUSTOMER;
  const first = words[0]!;
  if (words.length === 1) return first;
  const [initial] = Array.from(words.at(-1)!.normalize('NFC'));
  return `${first} ${initial!.toLocaleUpperCase()}.`;
}
