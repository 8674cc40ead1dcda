import { UserErrorCode, freeTextProblem, userError, type FreeTextKind, type UserError } from '@greencart/platform';
import { ISO_COUNTRY_CODES } from './countries.js';

/** Input rules for profiles and addresses: pure, so unit-tested on their own. */

const MAX_NAME = 200;
// An opening parenthesis may come first, as in the common (415) 555-0100.
const PHONE = /^\+?\(?[0-9][0-9 ().-]*$/;

/** A user error for text holding characters it may not (control, bidi or, in names, invisible ones). */
function characterError(label: string, text: string, kind: FreeTextKind, field: string): UserError | undefined {
  const problem = freeTextProblem(label, text, kind);
  return problem === undefined ? undefined : userError(UserErrorCode.INVALID_INPUT, problem, field);
}

/** Checks a customer's name (registration and profile): 1 to 200 characters, no control or invisible ones. */
export function nameError(name: string): UserError | undefined {
  const trimmed = name.trim();
  return (
    characterError('The name', name, 'name', 'name') ??
    (trimmed.length === 0 || trimmed.length > MAX_NAME ? userError(UserErrorCode.INVALID_INPUT, `The name must be 1 to ${MAX_NAME} characters.`, 'name') : undefined)
  );
}

export interface ProfileChanges {
  name?: string;
  phone?: string | null;
}

/** Checks `updateProfile` input; every problem at once. An empty phone removes it. */
export function validateProfileChanges(input: { name?: string | null; phone?: string | null }): { changes: ProfileChanges; errors: UserError[] } {
  const changes: ProfileChanges = {};
  const errors: UserError[] = [];
  if (input.name != null) {
    const invalid = nameError(input.name);
    if (invalid) errors.push(invalid);
    else changes.name = input.name.trim();
  }
  if (input.phone != null) {
    const phone = input.phone.trim();
    const digits = phone.replace(/\D/g, '').length;
    const invalidCharacters = characterError('The phone number', input.phone, 'single-line', 'phone');
    if (invalidCharacters) errors.push(invalidCharacters);
    else if (phone === '') changes.phone = null;
    else if (!PHONE.test(phone) || digits < 6 || digits > 15 || phone.length > 25) {
      errors.push(userError(UserErrorCode.INVALID_INPUT, 'Enter a phone number of 6 to 15 digits, such as +1 415 555 0100.', 'phone'));
    } else changes.phone = phone;
  }
  return { changes, errors };
}

export interface AddressInput {
  line1: string;
  line2?: string | null;
  city: string;
  postalCode: string;
  country: string;
  isDefault?: boolean | null;
}

export interface ValidAddress {
  line1: string;
  line2: string | null;
  city: string;
  postalCode: string;
  country: string;
}

const POSTAL_CODE = /^[A-Za-z0-9][A-Za-z0-9 -]{0,19}$/;

/** Checks an address; every problem at once. Country codes are stored in upper case. */
export function validateAddress(input: AddressInput): { address?: ValidAddress; errors: UserError[] } {
  const errors: UserError[] = [];
  const text = (value: string | null | undefined) => (value ?? '').trim();
  const line1 = text(input.line1);
  const line2 = text(input.line2);
  const city = text(input.city);
  const postalCode = text(input.postalCode);
  const country = text(input.country).toUpperCase();
  // A refused character is reported as such, rather than as the length or format it also breaks.
  const check = (field: 'line1' | 'line2' | 'city' | 'postalCode', label: string, ruleError: UserError | undefined) => {
    const error = characterError(label, input[field] ?? '', 'single-line', field) ?? ruleError;
    if (error) errors.push(error);
  };
  const invalid = (message: string, field: string) => userError(UserErrorCode.INVALID_INPUT, message, field);
  check('line1', 'The first line', line1.length === 0 || line1.length > 200 ? invalid('The first line must be 1 to 200 characters.', 'line1') : undefined);
  check('line2', 'The second line', line2.length > 200 ? invalid('The second line must be at most 200 characters.', 'line2') : undefined);
  check('city', 'The city', city.length === 0 || city.length > 100 ? invalid('The city must be 1 to 100 characters.', 'city') : undefined);
  check('postalCode', 'The postal code', POSTAL_CODE.test(postalCode) ? undefined : invalid('The postal code must be 1 to 20 letters, digits, spaces or dashes.', 'postalCode'));
  if (!ISO_COUNTRY_CODES.has(country)) errors.push(userError(UserErrorCode.INVALID_INPUT, 'The country must be an ISO 3166-1 alpha-2 code, such as US.', 'country'));
  if (errors.length > 0) return { errors };
  return { address: { line1, line2: line2 === '' ? null : line2, city, postalCode, country }, errors };
}
