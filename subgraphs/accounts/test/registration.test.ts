import { describe, expect, it } from 'vitest';
import { MAX_PASSWORD_LENGTH, MIN_PASSWORD_LENGTH, isValidEmail, normaliseEmail, validateRegistration } from '../src/services/account-service.js';
import { hashPassword, verifyAgainstDummy, verifyPassword } from '../src/services/passwords.js';

const valid = { email: 'ada@example.com', password: 'correct horse battery', name: 'Ada Lovelace' };

describe('normaliseEmail', () => {
  it('lower-cases and trims', () => {
    expect(normaliseEmail('  Ada.Lovelace@Example.COM \t')).toBe('ada.lovelace@example.com');
    expect(normaliseEmail('ada@example.com')).toBe('ada@example.com');
  });
});

describe('isValidEmail', () => {
  it.each(['ada@example.com', 'ada.lovelace+shop@mail.example.co.uk', 'a@b'])('accepts %j', (email) => {
    expect(isValidEmail(email)).toBe(true);
  });

  it.each(['', 'ada', 'ada@', '@example.com', 'ada@@example.com', 'ada @example.com', 'ada@exa mple.com', 'ada@-example.com', `${'a'.repeat(250)}@b.co`])('refuses %j', (email) => {
    expect(isValidEmail(email)).toBe(false);
  });
});

describe('validateRegistration', () => {
  it('accepts a valid registration', () => {
    expect(validateRegistration(valid)).toEqual([]);
  });

  it('accepts an email in any case with spaces around it', () => {
    expect(validateRegistration({ ...valid, email: '  Ada@Example.COM  ' })).toEqual([]);
  });

  it.each(['not-an-email', '', 'ada@', 'ada example.com'])('refuses the email %j as INVALID_INPUT on "email"', (email) => {
    expect(validateRegistration({ ...valid, email })).toEqual([{ code: 'INVALID_INPUT', field: 'email', message: expect.any(String) }]);
  });

  it('needs a password of at least 8 characters', () => {
    expect(MIN_PASSWORD_LENGTH).toBe(8);
    expect(validateRegistration({ ...valid, password: '1234567' })).toEqual([{ code: 'INVALID_INPUT', field: 'password', message: expect.stringContaining('8') }]);
    expect(validateRegistration({ ...valid, password: '' })).toEqual([{ code: 'INVALID_INPUT', field: 'password', message: expect.any(String) }]);
    expect(validateRegistration({ ...valid, password: '12345678' })).toEqual([]);
  });

  it('counts characters, not UTF-16 code units', () => {
    // Four emoji are four characters (eight code units): too short.
    expect(validateRegistration({ ...valid, password: '\u{1F600}'.repeat(4) })).toEqual([{ code: 'INVALID_INPUT', field: 'password', message: expect.any(String) }]);
    expect(validateRegistration({ ...valid, password: '\u{1F600}'.repeat(8) })).toEqual([]);
    expect(validateRegistration({ ...valid, password: 'p\u00e4ssw\u00f6rd' })).toEqual([]);
  });

  it('caps the password length so hashing cannot be abused', () => {
    expect(validateRegistration({ ...valid, password: 'x'.repeat(MAX_PASSWORD_LENGTH) })).toEqual([]);
    expect(validateRegistration({ ...valid, password: 'x'.repeat(MAX_PASSWORD_LENGTH + 1) })).toEqual([{ code: 'INVALID_INPUT', field: 'password', message: expect.any(String) }]);
  });

  it('needs a name of 1 to 200 characters, not counting surrounding spaces', () => {
    for (const name of ['', '   ', '\t\n', 'x'.repeat(201)]) {
      expect(validateRegistration({ ...valid, name })).toEqual([{ code: 'INVALID_INPUT', field: 'name', message: expect.any(String) }]);
    }
    expect(validateRegistration({ ...valid, name: 'x'.repeat(200) })).toEqual([]);
    expect(validateRegistration({ ...valid, name: `  ${'x'.repeat(200)}  ` })).toEqual([]);
    expect(validateRegistration({ ...valid, name: 'X' })).toEqual([]);
  });

  it.each([
    ['an ESC sequence', 'Ada\u001B[31m Lovelace', 'U+001B'],
    ['SOH', 'Ada\u0001', 'U+0001'],
    ['DEL', 'Ada\u007F', 'U+007F'],
    ['a C1 control', 'Ada\u009B', 'U+009B'],
    ['a newline inside', 'Ada\nLovelace', 'U+000A'],
  ])('refuses a name with %s as INVALID_INPUT on "name", saying so', (_, name, codePoint) => {
    expect(validateRegistration({ ...valid, name })).toEqual([{ code: 'INVALID_INPUT', field: 'name', message: `The name must not contain control characters (${codePoint}).` }]);
  });

  it('refuses a name with a bidirectional override or an invisible character', () => {
    expect(validateRegistration({ ...valid, name: 'Ada \u202Eecalevol' })).toEqual([
      { code: 'INVALID_INPUT', field: 'name', message: 'The name must not contain bidirectional text controls (U+202E).' },
    ]);
    expect(validateRegistration({ ...valid, name: 'A\u200Bda' })).toEqual([{ code: 'INVALID_INPUT', field: 'name', message: 'The name must not contain invisible formatting characters (U+200B).' }]);
  });

  it('leaves the password alone: it is not free text, and any character may be in it', () => {
    expect(validateRegistration({ ...valid, password: 'pass\u0001word\u202E\u200B' })).toEqual([]);
  });

  it('reports every problem at once', () => {
    const errors = validateRegistration({ email: 'nope', password: 'short', name: ' ' });
    expect(errors.map((error) => [error.code, error.field])).toEqual([
      ['INVALID_INPUT', 'email'],
      ['INVALID_INPUT', 'password'],
      ['INVALID_INPUT', 'name'],
    ]);
  });

  it('never repeats the password in a message', () => {
    const password = 'pw-1234';
    for (const error of validateRegistration({ ...valid, password })) expect(error.message).not.toContain(password);
  });
});

describe('passwords', () => {
  it('hashes with scrypt, self-describing, and never as the password itself', async () => {
    const hash = await hashPassword('correct horse battery');
    expect(hash).toMatch(/^scrypt\$\d+\$\d+\$\d+\$[A-Za-z0-9_-]+\$[A-Za-z0-9_-]+$/);
    expect(hash).not.toContain('correct horse battery');
    const [, N, r, p, salt, key] = hash.split('$');
    // A slow hash: cost at least 2^14, a 128-bit salt, a 256-bit key.
    expect(Number(N)).toBeGreaterThanOrEqual(2 ** 14);
    expect(Number(r)).toBeGreaterThanOrEqual(8);
    expect(Number(p)).toBeGreaterThanOrEqual(1);
    expect(Buffer.from(salt!, 'base64url')).toHaveLength(16);
    expect(Buffer.from(key!, 'base64url')).toHaveLength(32);
  });

  it('salts each hash, so the same password gives different hashes that both verify', async () => {
    const [first, second] = await Promise.all([hashPassword('correct horse battery'), hashPassword('correct horse battery')]);
    expect(first).not.toBe(second);
    expect(first.split('$')[4]).not.toBe(second.split('$')[4]);
    expect(await verifyPassword('correct horse battery', first)).toBe(true);
    expect(await verifyPassword('correct horse battery', second)).toBe(true);
  });

  it('verifies the right password and refuses others', async () => {
    const hash = await hashPassword('correct horse battery');
    expect(await verifyPassword('correct horse battery', hash)).toBe(true);
    expect(await verifyPassword('correct horse batterY', hash)).toBe(false);
    expect(await verifyPassword('correct horse battery ', hash)).toBe(false);
    expect(await verifyPassword('', hash)).toBe(false);
  });

  it('treats a password typed in composed or decomposed Unicode as the same', async () => {
    const composed = 'caf\u00e9-cr\u00e8me';
    const decomposed = 'cafe\u0301-cre\u0300me';
    expect(composed).not.toBe(decomposed);
    expect(await verifyPassword(decomposed, await hashPassword(composed))).toBe(true);
  });

  it('refuses stored values that are not scrypt hashes', async () => {
    expect(await verifyPassword('correct horse battery', 'correct horse battery')).toBe(false);
    expect(await verifyPassword('correct horse battery', '')).toBe(false);
    expect(await verifyPassword('correct horse battery', '$2b$10$abcdefghijklmnopqrstuv')).toBe(false);
  });

  it('checks a dummy hash for unknown emails and always answers false', async () => {
    await expect(verifyAgainstDummy('greencart-dummy-password')).resolves.toBe(false);
    await expect(verifyAgainstDummy('anything at all')).resolves.toBe(false);
  });
});
