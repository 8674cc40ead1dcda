import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ADMIN, startSupergraph, type TestSupergraph } from './support/supergraph.js';

// The contract's operations (client/src/operations.graphql), as the frontend sends them.
const REGISTER = /* GraphQL */ `
  mutation Register($input: RegisterInput!) {
    register(input: $input) {
      token
      customer {
        id
        email
        name
        role
        createdAt
      }
      userErrors {
        field
        message
        code
      }
    }
  }
`;
const LOGIN = /* GraphQL */ `
  mutation Login($input: LoginInput!) {
    login(input: $input) {
      token
      customer {
        id
        email
        name
        role
      }
      userErrors {
        field
        message
        code
      }
    }
  }
`;
const ME = /* GraphQL */ `
  query Me {
    me {
      id
      email
      name
      phone
      role
      createdAt
      addresses {
        id
        line1
        line2
        city
        postalCode
        country
        isDefault
      }
      paymentMethods {
        id
        brand
        last4
        expMonth
        expYear
        isDefault
      }
    }
  }
`;

const PASSWORD = 'Greencart-Sekrit-Passphrase-42';
const ISO_UTC = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?Z$/;
const WRITE_STATEMENT = /^\s*(insert|update|delete)\b/i;

let supergraph: TestSupergraph;
let sequence = 0;

/** A fresh address for each test, so tests do not depend on each other's accounts. */
function uniqueEmail(label: string): string {
  sequence += 1;
  return `${label}-${sequence}-${process.pid}@example.com`;
}

const register = (input: { email: string; password: string; name: string }) => supergraph.request(REGISTER, { input });
const login = (input: { email: string; password: string }) => supergraph.request(LOGIN, { input });
const invalid = (field: string) => ({ code: 'INVALID_INPUT', field, message: expect.any(String) });

/** Registers and asserts success; returns the payload. */
async function registered(input: { email: string; password: string; name: string }) {
  const data = await supergraph.data(REGISTER, { input });
  expect(data.register.userErrors).toEqual([]);
  return data.register;
}

/** Asserts that the credentials do not sign in. */
async function expectLoginRefused(input: { email: string; password: string }) {
  const response = await login(input);
  expect(response.errors).toBeUndefined();
  expect(response.data.login).toMatchObject({ token: null, customer: null, userErrors: [{ code: 'INVALID_CREDENTIALS', field: null }] });
}

beforeAll(async () => {
  supergraph = await startSupergraph({ seedCatalogue: false });
});
afterAll(() => supergraph?.stop());

describe('register', () => {
  it('creates a customer, signs them in, and the token works for me', async () => {
    const before = Date.now();
    const response = await register({ email: '  Ada.Lovelace@Example.COM ', password: PASSWORD, name: '  Ada Lovelace ' });
    const after = Date.now();
    expect(response.errors).toBeUndefined();
    const { token, customer, userErrors } = response.data.register;
    expect(userErrors).toEqual([]);
    expect(token).toMatch(/^[\w-]+\.[\w-]+\.[\w-]+$/);
    expect(customer).toEqual({ id: expect.any(String), email: 'ada.lovelace@example.com', name: 'Ada Lovelace', role: 'CUSTOMER', createdAt: expect.stringMatching(ISO_UTC) });
    // UTC, not local time labelled as UTC: the instant is the moment of the request (with slack for clocks).
    const createdAt = Date.parse(customer.createdAt);
    expect(createdAt).toBeGreaterThan(before - 60_000);
    expect(createdAt).toBeLessThan(after + 60_000);

    const me = await supergraph.data(ME, {}, { token });
    expect(me.me).toEqual({ ...customer, phone: null, addresses: [], paymentMethods: [] });
  });

  it('signs the new customer in with the same password afterwards', async () => {
    const email = uniqueEmail('later');
    const { customer } = await registered({ email, password: PASSWORD, name: 'Later' });
    const data = await supergraph.data(LOGIN, { input: { email, password: PASSWORD } });
    expect(data.login.customer.id).toBe(customer.id);
  });

  describe('refuses invalid input with a coded, field-level error and changes nothing', () => {
    const cases: Array<[string, { email?: string; password?: string; name?: string }, string]> = [
      ['an invalid email', { email: 'not-an-email' }, 'email'],
      ['an email without a domain', { email: 'someone@' }, 'email'],
      ['a password under 8 characters', { password: 'short77' }, 'password'],
      ['an empty password', { password: '' }, 'password'],
      ['a password of four emoji (eight UTF-16 units, four characters)', { password: '\u{1F511}'.repeat(4) }, 'password'],
      ['a blank name', { name: '   ' }, 'name'],
      ['an empty name', { name: '' }, 'name'],
    ];

    for (const [name, change, field] of cases) {
      it(`${name} is INVALID_INPUT on "${field}"`, async () => {
        const email = uniqueEmail('invalid');
        const input = { email, password: PASSWORD, name: 'Valid Name', ...change };
        supergraph.statements.accounts.reset();
        const response = await register(input);
        expect(response.errors).toBeUndefined();
        expect(response.data.register).toEqual({ token: null, customer: null, userErrors: [invalid(field)] });
        expect(supergraph.statements.accounts.statements.filter((statement) => WRITE_STATEMENT.test(statement))).toEqual([]);
        // Nothing was created: the refused credentials do not sign in.
        await expectLoginRefused({ email: input.email, password: input.password });
        // And the email is still free (when it was a valid one).
        if (field !== 'email') {
          const { customer } = await registered({ email, password: PASSWORD, name: 'Valid Name' });
          expect(customer.email).toBe(email);
          // The counter sees writes, so its silence above means something.
          expect(supergraph.statements.accounts.statements.some((statement) => WRITE_STATEMENT.test(statement))).toBe(true);
        }
      });
    }

    it('reports every problem at once', async () => {
      const response = await register({ email: 'nope', password: 'short', name: ' ' });
      expect(response.errors).toBeUndefined();
      expect(response.data.register.token).toBeNull();
      expect(response.data.register.customer).toBeNull();
      expect(response.data.register.userErrors).toEqual(expect.arrayContaining([invalid('email'), invalid('password'), invalid('name')]));
      expect(response.data.register.userErrors).toHaveLength(3);
    });
  });

  describe('a taken email', () => {
    it('is EMAIL_TAKEN in any letter case, and the first account is left as it was', async () => {
      const email = uniqueEmail('taken');
      const first = await registered({ email, password: PASSWORD, name: 'First Owner' });

      for (const variant of [email, email.toUpperCase(), `  ${email.replace('taken', 'TaKeN')}  `]) {
        supergraph.statements.accounts.reset();
        const response = await register({ email: variant, password: 'another-password-1', name: 'Second Owner' });
        expect(response.errors).toBeUndefined();
        expect(response.data.register).toEqual({ token: null, customer: null, userErrors: [{ code: 'EMAIL_TAKEN', field: 'email', message: expect.any(String) }] });
        expect(supergraph.statements.accounts.statements.filter((statement) => WRITE_STATEMENT.test(statement))).toEqual([]);
      }

      await expectLoginRefused({ email, password: 'another-password-1' });
      const data = await supergraph.data(LOGIN, { input: { email, password: PASSWORD } });
      expect(data.login.customer).toEqual({ id: first.customer.id, email, name: 'First Owner', role: 'CUSTOMER' });
    });

    it('lets exactly one of several concurrent registrations of one email succeed', async () => {
      const email = uniqueEmail('race');
      const attempts = Array.from({ length: 6 }, (_, index) => ({
        email: index % 2 === 0 ? email : email.toUpperCase(),
        password: `race-password-${index}`,
        name: `Racer ${index}`,
      }));
      const responses = await Promise.all(attempts.map((input) => register(input)));

      for (const response of responses) expect(response.errors).toBeUndefined();
      const winners = responses.map((response, index) => ({ payload: response.data.register, index })).filter(({ payload }) => payload.token !== null);
      expect(winners).toHaveLength(1);
      for (const response of responses) {
        if (response.data.register.token === null) {
          expect(response.data.register).toEqual({ token: null, customer: null, userErrors: [{ code: 'EMAIL_TAKEN', field: 'email', message: expect.any(String) }] });
        }
      }

      // Only the winner's password signs in, as the winner's account.
      const winner = winners[0]!;
      const data = await supergraph.data(LOGIN, { input: { email, password: attempts[winner.index]!.password } });
      expect(data.login.customer).toEqual({ id: winner.payload.customer.id, email, name: `Racer ${winner.index}`, role: 'CUSTOMER' });
      const loser = attempts.findIndex((_, index) => index !== winner.index);
      await expectLoginRefused({ email, password: attempts[loser]!.password });
    });
  });
});

describe('login', () => {
  let account: { id: string; email: string };

  beforeAll(async () => {
    const email = uniqueEmail('login');
    const { customer } = await registered({ email, password: PASSWORD, name: 'Grace Hopper' });
    account = { id: customer.id, email };
  });

  it('returns a token and the customer', async () => {
    const response = await login({ email: account.email, password: PASSWORD });
    expect(response.errors).toBeUndefined();
    const { token, customer, userErrors } = response.data.login;
    expect(userErrors).toEqual([]);
    expect(customer).toEqual({ id: account.id, email: account.email, name: 'Grace Hopper', role: 'CUSTOMER' });
    const me = await supergraph.data(ME, {}, { token });
    expect(me.me.id).toBe(account.id);
  });

  it('accepts the email in another letter case, with spaces around it', async () => {
    const data = await supergraph.data(LOGIN, { input: { email: `  ${account.email.toUpperCase()} `, password: PASSWORD } });
    expect(data.login.userErrors).toEqual([]);
    expect(data.login.customer.id).toBe(account.id);
  });

  it('answers a wrong password and an unknown email alike: INVALID_CREDENTIALS, same message, no field', async () => {
    const wrongPassword = await login({ email: account.email, password: `${PASSWORD}!` });
    const unknownEmail = await login({ email: uniqueEmail('nobody'), password: PASSWORD });
    for (const response of [wrongPassword, unknownEmail]) {
      expect(response.errors).toBeUndefined();
      expect(response.data.login).toEqual({ token: null, customer: null, userErrors: [{ code: 'INVALID_CREDENTIALS', field: null, message: expect.any(String) }] });
    }
    expect(wrongPassword.data.login.userErrors[0].message).toBe(unknownEmail.data.login.userErrors[0].message);
  });

  it('does not accept the password in another letter case', async () => {
    await expectLoginRefused({ email: account.email, password: PASSWORD.toLowerCase() });
  });

  it('signs the seeded administrator in with role ADMIN', async () => {
    const data = await supergraph.data(LOGIN, { input: ADMIN });
    expect(data.login.userErrors).toEqual([]);
    expect(data.login.customer).toMatchObject({ email: 'admin@greencart.dev', role: 'ADMIN' });
    const me = await supergraph.data(ME, {}, { token: data.login.token });
    expect(me.me).toMatchObject({ id: data.login.customer.id, email: 'admin@greencart.dev', role: 'ADMIN' });
  });
});

describe('me', () => {
  it('is null for an anonymous request, without an error', async () => {
    const response = await supergraph.request(ME);
    expect(response.status).toBe(200);
    expect(response.errors).toBeUndefined();
    expect(response.data).toEqual({ me: null });
  });

  it('is the signed-in customer, with no addresses or payment methods at first', async () => {
    const email = uniqueEmail('me');
    const { token, customer } = await registered({ email, password: PASSWORD, name: 'Katherine Johnson' });
    const data = await supergraph.data(ME, {}, { token });
    expect(data.me).toEqual({
      id: customer.id,
      email,
      name: 'Katherine Johnson',
      phone: null,
      role: 'CUSTOMER',
      createdAt: customer.createdAt,
      addresses: [],
      paymentMethods: [],
    });
  });

  it('is each customer their own account', async () => {
    const first = await registered({ email: uniqueEmail('own'), password: PASSWORD, name: 'One' });
    const second = await registered({ email: uniqueEmail('own'), password: PASSWORD, name: 'Two' });
    expect((await supergraph.data(ME, {}, { token: first.token })).me.id).toBe(first.customer.id);
    expect((await supergraph.data(ME, {}, { token: second.token })).me.id).toBe(second.customer.id);
    expect(first.customer.id).not.toBe(second.customer.id);
  });
});

describe('secrets never leave the server', () => {
  it('no register, login or me response carries the password or its hash', async () => {
    const email = uniqueEmail('secret');
    const bodies: string[] = [];
    const record = <T>(response: T) => {
      bodies.push(JSON.stringify(response));
      return response;
    };
    const registration = record(await register({ email, password: PASSWORD, name: 'Secret Keeper' }));
    record(await login({ email, password: PASSWORD }));
    record(await supergraph.request(ME, {}, { token: registration.data.register.token }));
    // Refusals do not echo what was sent either.
    record(await register({ email, password: PASSWORD, name: 'Secret Keeper' }));
    record(await register({ email: uniqueEmail('secret'), password: 'pw12345', name: 'Short' }));
    record(await login({ email, password: 'Wrong-Sekrit-Passphrase' }));

    expect(bodies).toHaveLength(6);
    for (const body of bodies) {
      expect(body).not.toContain(PASSWORD);
      expect(body).not.toContain('pw12345');
      expect(body).not.toContain('Wrong-Sekrit-Passphrase');
      expect(body).not.toContain('scrypt$');
      expect(body).not.toMatch(/password_?hash/i);
    }
  });

  it('offers no password or hash field on Customer or AuthPayload', async () => {
    const data = await supergraph.data(`{
      customer: __type(name: "Customer") { fields { name } }
      payload: __type(name: "AuthPayload") { fields { name } }
    }`);
    const customerFields: string[] = data.customer.fields.map((field: { name: string }) => field.name);
    const payloadFields: string[] = data.payload.fields.map((field: { name: string }) => field.name);
    expect(customerFields).toEqual(expect.arrayContaining(['id', 'email', 'name', 'role', 'createdAt']));
    expect(payloadFields).toEqual(expect.arrayContaining(['token', 'customer', 'userErrors']));
    for (const name of [...customerFields, ...payloadFields]) expect(name).not.toMatch(/password|hash/i);
  });
});
