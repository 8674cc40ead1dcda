import { EmailAddressResolver } from 'graphql-scalars';
import { UserErrorCode, isUniqueViolation, userError, type AuthenticatedUser, type UserError, type UserTokenIssuer } from '@greencart/platform';
import type { AccountsDb } from '../db/database.js';
import { CustomerRepository } from '../db/customer-repository.js';
import type { CustomerRow } from '../db/schema.js';
import { hashPassword, verifyAgainstDummy, verifyPassword } from './passwords.js';
import { nameError, validateProfileChanges } from './profile-rules.js';
import type { SignInThrottle } from './sign-in-throttle.js';

export const MIN_PASSWORD_LENGTH = 8;
/** Long enough for any passphrase, short enough that hashing cannot be used to burn CPU. */
export const MAX_PASSWORD_LENGTH = 1024;

export type AuthResult = { token: string; customer: CustomerRow; userErrors: [] } | { token: null; customer: null; userErrors: UserError[] };

const refused = (...userErrors: UserError[]): AuthResult => ({ token: null, customer: null, userErrors });
const INVALID_CREDENTIALS = userError(UserErrorCode.INVALID_CREDENTIALS, 'The email or password is incorrect.');

/** Emails are compared and stored in lower case, without surrounding spaces. */
export function normaliseEmail(email: string): string {
  return email.trim().toLowerCase();
}

export function isValidEmail(email: string): boolean {
  if (email.length > 254) return false;
  try {
    EmailAddressResolver.parseValue(email);
    return true;
  } catch {
    return false;
  }
}

/** Checks a registration; pure, so unit-tested on its own. Reports every problem at once. */
export function validateRegistration(input: { email: string; password: string; name: string }): UserError[] {
  const errors: UserError[] = [];
  if (!isValidEmail(normaliseEmail(input.email))) errors.push(userError(UserErrorCode.INVALID_INPUT, 'Enter a valid email address.', 'email'));
  // Characters (code points), not UTF-16 units: four emoji are four characters.
  const passwordLength = [...input.password].length;
  if (passwordLength < MIN_PASSWORD_LENGTH) {
    errors.push(userError(UserErrorCode.INVALID_INPUT, `The password must be at least ${MIN_PASSWORD_LENGTH} characters.`, 'password'));
  } else if (passwordLength > MAX_PASSWORD_LENGTH) {
    errors.push(userError(UserErrorCode.INVALID_INPUT, `The password must be at most ${MAX_PASSWORD_LENGTH} characters.`, 'password'));
  }
  const invalidName = nameError(input.name);
  if (invalidName) errors.push(invalidName);
  return errors;
}

/** Registration and sign-in. */
export class AccountService {
  private readonly customers: CustomerRepository;

  constructor(
    private readonly db: AccountsDb,
    private readonly tokens: UserTokenIssuer,
    private readonly throttle: SignInThrottle,
  ) {
    this.customers = new CustomerRepository(db);
  }

  async register(input: { email: string; password: string; name: string }): Promise<AuthResult> {
    const invalid = validateRegistration(input);
    if (invalid.length > 0) return refused(...invalid);
    const email = normaliseEmail(input.email);
    if (await this.customers.findByEmail(email)) return refused(emailTaken());
    const passwordHash = await hashPassword(input.password);
    try {
      const customer = await this.db.transaction((tx) => new CustomerRepository(tx).insert({ email, name: input.name.trim(), passwordHash }));
      return { token: await this.tokens.issue(asUser(customer)), customer, userErrors: [] };
    } catch (error) {
      if (isUniqueViolation(error)) return refused(emailTaken());
      throw error;
    }
  }

  async updateProfile(customerId: string, input: { name?: string | null; phone?: string | null }): Promise<{ value: CustomerRow | null; userErrors: UserError[] }> {
    const { changes, errors } = validateProfileChanges(input);
    if (errors.length > 0) return { value: null, userErrors: errors };
    const updated = await this.db.transaction((tx) => new CustomerRepository(tx).updateProfile(customerId, changes));
    return updated ? { value: updated, userErrors: [] } : { value: null, userErrors: [userError(UserErrorCode.NOT_FOUND, 'No such customer.')] };
  }

  /** Signs in; throttled per client address and email, per email and per client address (RATE_LIMITED) before any password is checked. */
  async login(input: { email: string; password: string }, clientAddress: string | undefined): Promise<AuthResult> {
    const email = normaliseEmail(input.email);
    const attempt = await this.throttle.admit(email, clientAddress);
    let valid = false;
    let customer: CustomerRow | undefined;
    try {
      customer = await this.customers.findByEmail(email);
      valid = customer ? await verifyPassword(input.password, customer.passwordHash) : await verifyAgainstDummy(input.password);
    } finally {
      // Settled whatever happens, so an attempt in flight never outlives its check.
      if (!customer || !valid) await this.throttle.failed(attempt);
    }
    if (!customer || !valid) return refused(INVALID_CREDENTIALS);
    await this.throttle.succeeded(attempt);
    return { token: await this.tokens.issue(asUser(customer)), customer, userErrors: [] };
  }
}

function asUser(customer: CustomerRow): AuthenticatedUser {
  return { id: customer.id, role: customer.role };
}

const emailTaken = () => userError(UserErrorCode.EMAIL_TAKEN, 'An account with this email already exists.', 'email');
