import postgres from 'postgres';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SERVICE_TOKEN_HEADER } from '@greencart/platform';
import { startSupergraph, type TestSupergraph } from './support/supergraph.js';

// The contract's operations (client/src/operations.graphql), as the frontend sends them,
// plus the two default-changing mutations the schema offers beyond them.
const USER_ERROR_FIELDS = /* GraphQL */ `
  fragment UserErrorFields on UserError {
    field
    message
    code
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
const UPDATE_PROFILE = /* GraphQL */ `
  mutation UpdateProfile($input: UpdateProfileInput!) {
    updateProfile(input: $input) {
      customer {
        id
        name
        phone
      }
      userErrors {
        ...UserErrorFields
      }
    }
  }
  ${USER_ERROR_FIELDS}
`;
const ADD_ADDRESS = /* GraphQL */ `
  mutation AddAddress($input: AddressInput!) {
    addAddress(input: $input) {
      address {
        id
        line1
        line2
        city
        postalCode
        country
        isDefault
      }
      userErrors {
        ...UserErrorFields
      }
    }
  }
  ${USER_ERROR_FIELDS}
`;
const SET_DEFAULT_ADDRESS = /* GraphQL */ `
  mutation SetDefaultAddress($id: ID!) {
    setDefaultAddress(id: $id) {
      address {
        id
        line1
        line2
        city
        postalCode
        country
        isDefault
      }
      userErrors {
        ...UserErrorFields
      }
    }
  }
  ${USER_ERROR_FIELDS}
`;
const REMOVE_ADDRESS = /* GraphQL */ `
  mutation RemoveAddress($id: ID!) {
    removeAddress(id: $id) {
      removedId
      userErrors {
        ...UserErrorFields
      }
    }
  }
  ${USER_ERROR_FIELDS}
`;
const ADD_PAYMENT_METHOD = /* GraphQL */ `
  mutation AddPaymentMethod($input: PaymentMethodInput!) {
    addPaymentMethod(input: $input) {
      paymentMethod {
        id
        brand
        last4
        expMonth
        expYear
        isDefault
      }
      userErrors {
        ...UserErrorFields
      }
    }
  }
  ${USER_ERROR_FIELDS}
`;
const SET_DEFAULT_PAYMENT_METHOD = /* GraphQL */ `
  mutation SetDefaultPaymentMethod($id: ID!) {
    setDefaultPaymentMethod(id: $id) {
      paymentMethod {
        id
        brand
        last4
        expMonth
        expYear
        isDefault
      }
      userErrors {
        ...UserErrorFields
      }
    }
  }
  ${USER_ERROR_FIELDS}
`;
const REMOVE_PAYMENT_METHOD = /* GraphQL */ `
  mutation RemovePaymentMethod($id: ID!) {
    removePaymentMethod(id: $id) {
      removedId
      userErrors {
        ...UserErrorFields
      }
    }
  }
  ${USER_ERROR_FIELDS}
`;
const ENTITIES = /* GraphQL */ `
  query Entities($representations: [_Any!]!) {
    _entities(representations: $representations) {
      ... on PaymentMethod {
        id
        last4
      }
      ... on Customer {
        id
        email
      }
    }
  }
`;

// Unusual CVCs, so that finding one (or not) in a dump or a response means something.
const CVC = '731';
const AMEX_CVC = '8402';
const TEST_CARDS = [
  { number: '4242424242424242', last4: '4242' },
  { number: '4000000000000002', last4: '0002' },
  { number: '4000000000009995', last4: '9995' },
] as const;
const THIS_YEAR = new Date().getUTCFullYear();
const THIS_MONTH = new Date().getUTCMonth() + 1;
const EXP_YEAR = THIS_YEAR + 3;
const NON_EXISTENT_ID = '00000000-0000-4000-8000-000000000000';

type Customer = { token: string; id: string; email: string };
type AddressInput = { line1: string; line2?: string | null; city: string; postalCode: string; country: string; isDefault?: boolean };
type CardInput = { cardNumber: string; expMonth: number; expYear: number; cvc: string };
type Address = { id: string; line1: string; line2: string | null; city: string; postalCode: string; country: string; isDefault: boolean };
type PaymentMethod = { id: string; brand: string; last4: string; expMonth: number; expYear: number; isDefault: boolean };

let supergraph: TestSupergraph;
let adminToken: string;

beforeAll(async () => {
  supergraph = await startSupergraph({ seedCatalogue: false });
  adminToken = await supergraph.adminToken();
});
afterAll(() => supergraph?.stop());

const invalid = (field: string) => ({ code: 'INVALID_INPUT', field, message: expect.any(String) });
const notFound = { code: 'NOT_FOUND', field: 'id', message: expect.any(String) };
const card = (cardNumber: string, overrides: Partial<CardInput> = {}): CardInput => ({ cardNumber, expMonth: 12, expYear: EXP_YEAR, cvc: CVC, ...overrides });
const street = (label: string, overrides: Partial<AddressInput> = {}): AddressInput => ({ line1: `${label} Main Street`, city: 'Springfield', postalCode: '12345', country: 'US', ...overrides });

async function me(token: string): Promise<{ id: string; name: string; phone: string | null; addresses: Address[]; paymentMethods: PaymentMethod[] }> {
  return (await supergraph.data(ME, {}, { token })).me;
}

/** Runs a mutation that must answer without a top-level error; returns its payload. */
async function mutate(query: string, variables: Record<string, unknown>, token: string) {
  const response = await supergraph.request(query, variables, { token });
  expect(response.errors, JSON.stringify(response.errors)).toBeUndefined();
  return Object.values(response.data as Record<string, unknown>)[0] as Record<string, unknown> & { userErrors: unknown[] };
}

async function addAddress(token: string, input: AddressInput): Promise<Address> {
  const payload = await mutate(ADD_ADDRESS, { input }, token);
  expect(payload.userErrors).toEqual([]);
  return payload.address as Address;
}

async function addCard(token: string, input: CardInput): Promise<PaymentMethod> {
  const payload = await mutate(ADD_PAYMENT_METHOD, { input }, token);
  expect(payload.userErrors).toEqual([]);
  return payload.paymentMethod as PaymentMethod;
}

const defaults = (items: Array<{ id: string; isDefault: boolean }>) => items.filter((item) => item.isDefault).map((item) => item.id);

describe('updateProfile', () => {
  let customer: Customer;
  beforeAll(async () => {
    customer = await supergraph.registerCustomer({ name: 'Original Name' });
  });

  it('changes the name and the phone, trimmed, and me shows them', async () => {
    const payload = await mutate(UPDATE_PROFILE, { input: { name: '  Ada King ', phone: ' +1 (415) 555-0100 ' } }, customer.token);
    expect(payload).toEqual({ customer: { id: customer.id, name: 'Ada King', phone: '+1 (415) 555-0100' }, userErrors: [] });
    expect(await me(customer.token)).toMatchObject({ id: customer.id, name: 'Ada King', phone: '+1 (415) 555-0100' });
  });

  it('keeps the field left out', async () => {
    await mutate(UPDATE_PROFILE, { input: { name: 'Partial', phone: '+44 20 7946 0958' } }, customer.token);
    const phoneOnly = await mutate(UPDATE_PROFILE, { input: { phone: '030 1234567' } }, customer.token);
    expect(phoneOnly.customer).toEqual({ id: customer.id, name: 'Partial', phone: '030 1234567' });
    const nameOnly = await mutate(UPDATE_PROFILE, { input: { name: 'Partial Again' } }, customer.token);
    expect(nameOnly.customer).toEqual({ id: customer.id, name: 'Partial Again', phone: '030 1234567' });
    expect(await me(customer.token)).toMatchObject({ name: 'Partial Again', phone: '030 1234567' });
  });

  it('removes the phone when given an empty one', async () => {
    await mutate(UPDATE_PROFILE, { input: { phone: '+1 415 555 0100' } }, customer.token);
    const payload = await mutate(UPDATE_PROFILE, { input: { phone: '' } }, customer.token);
    expect(payload.customer).toMatchObject({ phone: null });
    expect((await me(customer.token)).phone).toBeNull();
  });

  const refusals: Array<[string, Record<string, string>, string[]]> = [
    ['an empty name', { name: '' }, ['name']],
    ['a blank name', { name: '   ' }, ['name']],
    ['a name over 200 characters', { name: 'x'.repeat(201) }, ['name']],
    ['a phone with too few digits', { phone: '12345' }, ['phone']],
    ['a phone with letters', { phone: 'call me maybe' }, ['phone']],
    ['a phone with too many digits', { phone: '1234567890123456' }, ['phone']],
    ['a valid name with an invalid phone', { name: 'Would Be Fine', phone: '12' }, ['phone']],
    ['both invalid', { name: '', phone: '12' }, ['name', 'phone']],
  ];
  for (const [label, input, fields] of refusals) {
    it(`refuses ${label} with INVALID_INPUT on ${fields.join(', ')}, changing nothing`, async () => {
      await mutate(UPDATE_PROFILE, { input: { name: 'Before', phone: '+1 415 555 0199' } }, customer.token);
      const payload = await mutate(UPDATE_PROFILE, { input }, customer.token);
      expect(payload).toEqual({ customer: null, userErrors: fields.map(invalid) });
      expect(await me(customer.token)).toMatchObject({ name: 'Before', phone: '+1 415 555 0199' });
    });
  }
});

describe('anonymous requests', () => {
  const mutations: Array<[string, string, Record<string, unknown>]> = [
    ['updateProfile', UPDATE_PROFILE, { input: { name: 'Nobody' } }],
    ['addAddress', ADD_ADDRESS, { input: street('1') }],
    ['setDefaultAddress', SET_DEFAULT_ADDRESS, { id: NON_EXISTENT_ID }],
    ['removeAddress', REMOVE_ADDRESS, { id: NON_EXISTENT_ID }],
    ['addPaymentMethod', ADD_PAYMENT_METHOD, { input: card('4242424242424242') }],
    ['setDefaultPaymentMethod', SET_DEFAULT_PAYMENT_METHOD, { id: NON_EXISTENT_ID }],
    ['removePaymentMethod', REMOVE_PAYMENT_METHOD, { id: NON_EXISTENT_ID }],
  ];
  for (const [name, query, variables] of mutations) {
    it(`${name} is UNAUTHENTICATED`, async () => {
      const response = await supergraph.request(query, variables);
      expect(response.errors?.map((error) => error.extensions?.code)).toEqual(['UNAUTHENTICATED']);
      expect(response.data?.[name] ?? null).toBeNull();
    });
  }
});

describe('addresses', () => {
  it('saves an address with its fields trimmed, the country in upper case and an empty line2 as null', async () => {
    const customer = await supergraph.registerCustomer();
    const address = await addAddress(customer.token, { line1: '  10 Downing Street ', line2: '  ', city: ' London ', postalCode: ' SW1A 2AA ', country: 'gb' });
    expect(address).toEqual({ id: expect.any(String), line1: '10 Downing Street', line2: null, city: 'London', postalCode: 'SW1A 2AA', country: 'GB', isDefault: true });
    expect((await me(customer.token)).addresses).toEqual([address]);
  });

  describe('refuses invalid input with INVALID_INPUT on the field, changing nothing', () => {
    let customer: Customer;
    let existing: Address;
    beforeAll(async () => {
      customer = await supergraph.registerCustomer();
      existing = await addAddress(customer.token, street('1'));
    });

    const cases: Array<[string, Partial<AddressInput>, string]> = [
      ['an empty line1', { line1: '' }, 'line1'],
      ['a blank line1', { line1: '   ' }, 'line1'],
      ['a line1 over 200 characters', { line1: 'x'.repeat(201) }, 'line1'],
      ['a line2 over 200 characters', { line2: 'x'.repeat(201) }, 'line2'],
      ['an empty city', { city: '' }, 'city'],
      ['a city over 100 characters', { city: 'x'.repeat(101) }, 'city'],
      ['an empty postal code', { postalCode: '' }, 'postalCode'],
      ['a postal code with symbols', { postalCode: '12#45' }, 'postalCode'],
      ['a postal code over 20 characters', { postalCode: '1'.repeat(21) }, 'postalCode'],
      ['an unassigned country code', { country: 'XX' }, 'country'],
      ['UK (the ISO code is GB)', { country: 'UK' }, 'country'],
      ['a three-letter country code', { country: 'USA' }, 'country'],
      ['a country name', { country: 'France' }, 'country'],
      ['an empty country', { country: '' }, 'country'],
    ];
    for (const [label, change, field] of cases) {
      it(`${label} (${field}), even with isDefault: true`, async () => {
        const payload = await mutate(ADD_ADDRESS, { input: { ...street('2'), ...change, isDefault: true } }, customer.token);
        expect(payload).toEqual({ address: null, userErrors: [invalid(field)] });
        expect((await me(customer.token)).addresses).toEqual([existing]);
      });
    }

    it('reports every problem at once', async () => {
      const payload = await mutate(ADD_ADDRESS, { input: { line1: '', city: '', postalCode: '#', country: 'ZZ' } }, customer.token);
      expect(payload).toEqual({ address: null, userErrors: [invalid('line1'), invalid('city'), invalid('postalCode'), invalid('country')] });
      expect((await me(customer.token)).addresses).toEqual([existing]);
    });
  });

  describe('the default address', () => {
    it('is the first address when isDefault is left out; a second one left out does not take it', async () => {
      const customer = await supergraph.registerCustomer();
      const first = await addAddress(customer.token, street('1'));
      const second = await addAddress(customer.token, street('2'));
      expect(first.isDefault).toBe(true);
      expect(second.isDefault).toBe(false);
      const { addresses } = await me(customer.token);
      expect(addresses.map((address) => address.id)).toEqual([first.id, second.id]);
      expect(defaults(addresses)).toEqual([first.id]);
    });

    it('moves to a new address saved with isDefault: true, leaving exactly one default, listed first', async () => {
      const customer = await supergraph.registerCustomer();
      const first = await addAddress(customer.token, street('1'));
      await addAddress(customer.token, street('2'));
      const third = await addAddress(customer.token, street('3', { isDefault: true }));
      expect(third.isDefault).toBe(true);
      const { addresses } = await me(customer.token);
      expect(addresses).toHaveLength(3);
      expect(defaults(addresses)).toEqual([third.id]);
      expect(addresses[0]!.id).toBe(third.id);
      expect(addresses.find((address) => address.id === first.id)?.isDefault).toBe(false);
    });

    it('respects an explicit isDefault: false, even for the first address', async () => {
      const customer = await supergraph.registerCustomer();
      const first = await addAddress(customer.token, street('1', { isDefault: false }));
      expect(first.isDefault).toBe(false);
      expect(defaults((await me(customer.token)).addresses)).toEqual([]);
      // Left out, isDefault means "the default when there is none yet".
      const second = await addAddress(customer.token, street('2'));
      expect(second.isDefault).toBe(true);
      const third = await addAddress(customer.token, street('3', { isDefault: false }));
      expect(third.isDefault).toBe(false);
      expect(defaults((await me(customer.token)).addresses)).toEqual([second.id]);
    });

    it('moves with setDefaultAddress, and is listed first', async () => {
      const customer = await supergraph.registerCustomer();
      const first = await addAddress(customer.token, street('1'));
      const second = await addAddress(customer.token, street('2'));
      const third = await addAddress(customer.token, street('3'));

      const payload = await mutate(SET_DEFAULT_ADDRESS, { id: second.id }, customer.token);
      expect(payload).toEqual({ address: { ...second, isDefault: true }, userErrors: [] });
      let { addresses } = await me(customer.token);
      expect(defaults(addresses)).toEqual([second.id]);
      expect(addresses.map((address) => address.id)).toEqual([second.id, first.id, third.id]);

      // Making the default the default again changes nothing.
      await mutate(SET_DEFAULT_ADDRESS, { id: second.id }, customer.token);
      ({ addresses } = await me(customer.token));
      expect(defaults(addresses)).toEqual([second.id]);
    });

    it('is NOT_FOUND for setDefaultAddress with an unknown or malformed id, changing nothing', async () => {
      const customer = await supergraph.registerCustomer();
      const first = await addAddress(customer.token, street('1'));
      for (const id of [NON_EXISTENT_ID, 'not-a-uuid']) {
        expect(await mutate(SET_DEFAULT_ADDRESS, { id }, customer.token)).toEqual({ address: null, userErrors: [notFound] });
      }
      expect((await me(customer.token)).addresses).toEqual([first]);
    });

    it('leaves exactly one default after concurrent saves with isDefault: true', async () => {
      const customer = await supergraph.registerCustomer();
      const original = await addAddress(customer.token, street('0'));
      const saved = await Promise.all(Array.from({ length: 5 }, (_, index) => addAddress(customer.token, street(`${index + 1}`, { isDefault: true }))));
      for (const address of saved) expect(address.isDefault).toBe(true);
      const { addresses } = await me(customer.token);
      expect(addresses).toHaveLength(6);
      const [defaultId, ...others] = defaults(addresses);
      expect(others).toEqual([]);
      expect(saved.map((address) => address.id)).toContain(defaultId);
      expect(addresses[0]!.id).toBe(defaultId);
      expect(addresses.find((address) => address.id === original.id)?.isDefault).toBe(false);
    });
  });

  describe('removeAddress', () => {
    it('removes the address and answers its id', async () => {
      const customer = await supergraph.registerCustomer();
      const first = await addAddress(customer.token, street('1'));
      const second = await addAddress(customer.token, street('2'));
      expect(await mutate(REMOVE_ADDRESS, { id: second.id }, customer.token)).toEqual({ removedId: second.id, userErrors: [] });
      // Removing another address leaves the default where it was.
      expect((await me(customer.token)).addresses).toEqual([first]);
    });

    it('makes the most recently added remaining address the default when the default goes', async () => {
      const customer = await supergraph.registerCustomer();
      const first = await addAddress(customer.token, street('1'));
      const second = await addAddress(customer.token, street('2'));
      const third = await addAddress(customer.token, street('3'));
      expect(first.isDefault).toBe(true);

      await mutate(REMOVE_ADDRESS, { id: first.id }, customer.token);
      let { addresses } = await me(customer.token);
      expect(addresses.map((address) => address.id)).toEqual([third.id, second.id]);
      expect(defaults(addresses)).toEqual([third.id]);

      await mutate(REMOVE_ADDRESS, { id: third.id }, customer.token);
      ({ addresses } = await me(customer.token));
      expect(addresses).toEqual([{ ...second, isDefault: true }]);

      await mutate(REMOVE_ADDRESS, { id: second.id }, customer.token);
      expect((await me(customer.token)).addresses).toEqual([]);
    });

    it('is NOT_FOUND the second time, and for an unknown or malformed id', async () => {
      const customer = await supergraph.registerCustomer();
      const address = await addAddress(customer.token, street('1'));
      const kept = await addAddress(customer.token, street('2'));
      await mutate(REMOVE_ADDRESS, { id: address.id }, customer.token);
      for (const id of [address.id, NON_EXISTENT_ID, 'not-a-uuid']) {
        expect(await mutate(REMOVE_ADDRESS, { id }, customer.token)).toEqual({ removedId: null, userErrors: [notFound] });
      }
      expect((await me(customer.token)).addresses).toEqual([{ ...kept, isDefault: true }]);
    });
  });
});

describe('payment methods', () => {
  it.each(TEST_CARDS)('saves the test card $number as VISA ending in $last4, with its expiry', async ({ number, last4 }) => {
    const customer = await supergraph.registerCustomer();
    const method = await addCard(customer.token, card(number, { expMonth: 7 }));
    expect(method).toEqual({ id: expect.any(String), brand: 'VISA', last4, expMonth: 7, expYear: EXP_YEAR, isDefault: true });
    expect((await me(customer.token)).paymentMethods).toEqual([method]);
  });

  it('detects the other brands, accepts spaces and dashes, and makes only the first card the default', async () => {
    const customer = await supergraph.registerCustomer();
    const cases = [
      { input: card('5555 5555 5555 4444'), brand: 'MASTERCARD', last4: '4444' },
      { input: card('2223-0031-2200-3222'), brand: 'MASTERCARD', last4: '3222' },
      { input: card('378282246310005', { cvc: AMEX_CVC }), brand: 'AMEX', last4: '0005' },
      { input: card('6011111111111117'), brand: 'DISCOVER', last4: '1117' },
      { input: card('3566002020360505'), brand: 'OTHER', last4: '0505' },
      { input: card('36227206271667'), brand: 'OTHER', last4: '1667' },
    ];
    const saved: PaymentMethod[] = [];
    for (const { input, brand, last4 } of cases) {
      const method = await addCard(customer.token, input);
      expect(method).toMatchObject({ brand, last4, expMonth: 12, expYear: EXP_YEAR });
      saved.push(method);
    }
    expect(saved.map((method) => method.isDefault)).toEqual([true, false, false, false, false, false]);
    const { paymentMethods } = await me(customer.token);
    expect(paymentMethods).toEqual(saved);
  });

  describe('refuses invalid cards with INVALID_INPUT on the field, changing nothing', () => {
    let customer: Customer;
    let existing: PaymentMethod;
    beforeAll(async () => {
      customer = await supergraph.registerCustomer();
      existing = await addCard(customer.token, card('4242424242424242'));
    });

    // Expired earlier this year is refused on the month; in January that month is last year's December.
    const expiredThisYear: [Partial<CardInput>, string] = THIS_MONTH > 1 ? [{ expMonth: THIS_MONTH - 1, expYear: THIS_YEAR }, 'expMonth'] : [{ expMonth: 12, expYear: THIS_YEAR - 1 }, 'expYear'];
    const cases: Array<[string, Partial<CardInput>, string]> = [
      ['a number failing the Luhn check', { cardNumber: '4242424242424241' }, 'cardNumber'],
      ['a number with letters', { cardNumber: '4242abcd42424242' }, 'cardNumber'],
      ['a number too short', { cardNumber: '79927398713' }, 'cardNumber'],
      ['an expiry last year', { expMonth: 12, expYear: THIS_YEAR - 1 }, 'expYear'],
      ['an expiry earlier this year', ...expiredThisYear],
      ['a two-digit year', { expYear: EXP_YEAR % 100 }, 'expYear'],
      ['month 13', { expMonth: 13 }, 'expMonth'],
      ['month 0', { expMonth: 0 }, 'expMonth'],
      ['a two-digit CVC', { cvc: '73' }, 'cvc'],
      ['a CVC with a letter', { cvc: '7a1' }, 'cvc'],
      ['a four-digit CVC on a Visa card', { cardNumber: '4000056655665556', cvc: AMEX_CVC }, 'cvc'],
      ['a four-digit CVC on a Mastercard card', { cvc: AMEX_CVC }, 'cvc'],
      ['a three-digit CVC on an American Express card', { cardNumber: '378282246310005', cvc: CVC }, 'cvc'],
    ];
    for (const [label, change, field] of cases) {
      it(`${label} (${field})`, async () => {
        const payload = await mutate(ADD_PAYMENT_METHOD, { input: card('5555555555554444', change) }, customer.token);
        expect(payload).toEqual({ paymentMethod: null, userErrors: [invalid(field)] });
        expect((await me(customer.token)).paymentMethods).toEqual([existing]);
      });
    }

    it('reports every problem at once', async () => {
      const payload = await mutate(ADD_PAYMENT_METHOD, { input: { cardNumber: '1234', expMonth: 0, expYear: 1999, cvc: '' } }, customer.token);
      expect(payload).toEqual({ paymentMethod: null, userErrors: [invalid('cardNumber'), invalid('expMonth'), invalid('expYear'), invalid('cvc')] });
      expect((await me(customer.token)).paymentMethods).toEqual([existing]);
    });
  });

  describe('removePaymentMethod', () => {
    it('hides the card from me and makes the newest remaining card the default', async () => {
      const customer = await supergraph.registerCustomer();
      const first = await addCard(customer.token, card('4242424242424242'));
      const second = await addCard(customer.token, card('5555555555554444'));
      const third = await addCard(customer.token, card('6011111111111117'));

      expect(await mutate(REMOVE_PAYMENT_METHOD, { id: first.id }, customer.token)).toEqual({ removedId: first.id, userErrors: [] });
      let { paymentMethods } = await me(customer.token);
      expect(paymentMethods.map((method) => method.id)).toEqual([third.id, second.id]);
      expect(defaults(paymentMethods)).toEqual([third.id]);

      // A card that is not the default goes without moving the default.
      await mutate(REMOVE_PAYMENT_METHOD, { id: second.id }, customer.token);
      ({ paymentMethods } = await me(customer.token));
      expect(paymentMethods).toEqual([{ ...third, isDefault: true }]);

      await mutate(REMOVE_PAYMENT_METHOD, { id: third.id }, customer.token);
      expect((await me(customer.token)).paymentMethods).toEqual([]);
      // With no card left, the next one is the default again.
      expect((await addCard(customer.token, card('4000000000000002'))).isDefault).toBe(true);
    });

    it('is NOT_FOUND the second time, and for an unknown or malformed id', async () => {
      const customer = await supergraph.registerCustomer();
      const removed = await addCard(customer.token, card('4242424242424242'));
      const kept = await addCard(customer.token, card('5555555555554444'));
      await mutate(REMOVE_PAYMENT_METHOD, { id: removed.id }, customer.token);
      for (const id of [removed.id, NON_EXISTENT_ID, 'not-a-uuid']) {
        expect(await mutate(REMOVE_PAYMENT_METHOD, { id }, customer.token)).toEqual({ removedId: null, userErrors: [notFound] });
      }
      // A removed card cannot be made the default again either.
      expect(await mutate(SET_DEFAULT_PAYMENT_METHOD, { id: removed.id }, customer.token)).toEqual({ paymentMethod: null, userErrors: [notFound] });
      expect((await me(customer.token)).paymentMethods).toEqual([{ ...kept, isDefault: true }]);
    });
  });

  it('moves the default with setDefaultPaymentMethod, leaving exactly one, listed first', async () => {
    const customer = await supergraph.registerCustomer();
    const first = await addCard(customer.token, card('4242424242424242'));
    const second = await addCard(customer.token, card('5555555555554444'));
    const third = await addCard(customer.token, card('6011111111111117'));

    expect(await mutate(SET_DEFAULT_PAYMENT_METHOD, { id: third.id }, customer.token)).toEqual({ paymentMethod: { ...third, isDefault: true }, userErrors: [] });
    const { paymentMethods } = await me(customer.token);
    expect(paymentMethods.map((method) => method.id)).toEqual([third.id, first.id, second.id]);
    expect(defaults(paymentMethods)).toEqual([third.id]);
  });
});

describe("another customer's addresses and payment methods", () => {
  let owner: Customer;
  let intruder: Customer;
  let ownerAddresses: Address[];
  let ownerCards: PaymentMethod[];
  let intruderAddress: Address;
  let intruderCard: PaymentMethod;

  beforeAll(async () => {
    owner = await supergraph.registerCustomer();
    intruder = await supergraph.registerCustomer();
    ownerAddresses = [await addAddress(owner.token, street('1')), await addAddress(owner.token, street('2'))];
    ownerCards = [await addCard(owner.token, card('4242424242424242')), await addCard(owner.token, card('5555555555554444'))];
    intruderAddress = await addAddress(intruder.token, street('99'));
    intruderCard = await addCard(intruder.token, card('6011111111111117'));
  });

  it('are NOT_FOUND for every change, and stay as they were', async () => {
    const before = await me(owner.token);
    expect(before.addresses).toEqual(ownerAddresses);
    expect(before.paymentMethods).toEqual(ownerCards);
    const [defaultAddress, otherAddress] = ownerAddresses;
    const [defaultCard, otherCard] = ownerCards;

    for (const token of [intruder.token, adminToken]) {
      expect(await mutate(SET_DEFAULT_ADDRESS, { id: otherAddress!.id }, token)).toEqual({ address: null, userErrors: [notFound] });
      expect(await mutate(SET_DEFAULT_PAYMENT_METHOD, { id: otherCard!.id }, token)).toEqual({ paymentMethod: null, userErrors: [notFound] });
      for (const id of [defaultAddress!.id, otherAddress!.id]) {
        expect(await mutate(REMOVE_ADDRESS, { id }, token)).toEqual({ removedId: null, userErrors: [notFound] });
      }
      for (const id of [defaultCard!.id, otherCard!.id]) {
        expect(await mutate(REMOVE_PAYMENT_METHOD, { id }, token)).toEqual({ removedId: null, userErrors: [notFound] });
      }
    }

    // The answers are the ones for an id that does not exist at all: nothing tells the intruder it does.
    expect(await mutate(REMOVE_ADDRESS, { id: NON_EXISTENT_ID }, intruder.token)).toEqual({ removedId: null, userErrors: [notFound] });

    expect(await me(owner.token)).toEqual(before);
    // The intruder's own were not touched either.
    const intruderView = await me(intruder.token);
    expect(intruderView.addresses).toEqual([intruderAddress]);
    expect(intruderView.paymentMethods).toEqual([intruderCard]);
  });

  it('are not listed in anyone else’s me, not even an admin’s', async () => {
    const ownerIds = [...ownerAddresses, ...ownerCards].map((item) => item.id);
    const intruderView = await me(intruder.token);
    expect(intruderView.addresses.map((address) => address.id)).toEqual([intruderAddress.id]);
    expect(intruderView.paymentMethods.map((method) => method.id)).toEqual([intruderCard.id]);
    const adminView = await me(adminToken);
    for (const id of ownerIds) {
      expect(adminView.addresses.map((address) => address.id)).not.toContain(id);
      expect(adminView.paymentMethods.map((method) => method.id)).not.toContain(id);
    }
  });
});

describe('entity references (called as the gateway would)', () => {
  let owner: Customer;
  let other: Customer;
  let ownerCard: PaymentMethod;
  let removedCard: PaymentMethod;
  let otherCard: PaymentMethod;

  /** Asks accounts directly for references, with service credentials and the user's token (if any). */
  async function resolve(representations: Array<{ __typename: string; id: string }>, userToken?: string): Promise<unknown[]> {
    const service = await supergraph.serviceToken('gateway', 'accounts');
    const response = await fetch(`${supergraph.subgraphUrls.accounts}/graphql`, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        [SERVICE_TOKEN_HEADER]: service,
        ...(userToken ? { authorization: `Bearer ${userToken}` } : {}),
      },
      body: JSON.stringify({ query: ENTITIES, variables: { representations } }),
    });
    expect(response.status).toBe(200);
    const body = (await response.json()) as { data: { _entities: unknown[] }; errors?: unknown };
    expect(body.errors).toBeUndefined();
    return body.data._entities;
  }
  const methodRef = (id: string) => ({ __typename: 'PaymentMethod', id });
  const customerRef = (id: string) => ({ __typename: 'Customer', id });

  beforeAll(async () => {
    owner = await supergraph.registerCustomer();
    other = await supergraph.registerCustomer();
    ownerCard = await addCard(owner.token, card('4242424242424242'));
    removedCard = await addCard(owner.token, card('4000000000009995'));
    otherCard = await addCard(other.token, card('5555555555554444'));
    await mutate(REMOVE_PAYMENT_METHOD, { id: removedCard.id }, owner.token);
  });

  it('resolves a PaymentMethod for its owner, a removed one included (kept for its transactions)', async () => {
    expect(await resolve([methodRef(ownerCard.id), methodRef(removedCard.id)], owner.token)).toEqual([
      { id: ownerCard.id, last4: '4242' },
      { id: removedCard.id, last4: '9995' },
    ]);
  });

  it('resolves a PaymentMethod for an admin', async () => {
    expect(await resolve([methodRef(ownerCard.id), methodRef(removedCard.id), methodRef(otherCard.id)], adminToken)).toEqual([
      { id: ownerCard.id, last4: '4242' },
      { id: removedCard.id, last4: '9995' },
      { id: otherCard.id, last4: '4444' },
    ]);
  });

  it("does not resolve another customer's PaymentMethod, nor any for an anonymous request", async () => {
    expect(await resolve([methodRef(ownerCard.id), methodRef(removedCard.id), methodRef(otherCard.id)], other.token)).toEqual([null, null, { id: otherCard.id, last4: '4444' }]);
    expect(await resolve([methodRef(ownerCard.id), methodRef(otherCard.id)])).toEqual([null, null]);
  });

  it('answers null for an unknown or malformed PaymentMethod id', async () => {
    expect(await resolve([methodRef(NON_EXISTENT_ID), methodRef('not-a-uuid')], adminToken)).toEqual([null, null]);
  });

  it('resolves a Customer for themself and for an admin only', async () => {
    expect(await resolve([customerRef(owner.id)], owner.token)).toEqual([{ id: owner.id, email: owner.email }]);
    expect(await resolve([customerRef(owner.id), customerRef(other.id)], adminToken)).toEqual([
      { id: owner.id, email: owner.email },
      { id: other.id, email: other.email },
    ]);
    expect(await resolve([customerRef(owner.id), customerRef(other.id)], other.token)).toEqual([null, { id: other.id, email: other.email }]);
    expect(await resolve([customerRef(owner.id)])).toEqual([null]);
  });
});

describe('card numbers, CVCs and passwords go nowhere', () => {
  const PASSWORDS = ['Leak-Check-Passphrase-Ochre-57', 'Leak-Check-Passphrase-Umber-93'];
  const ALL_NUMBERS = [...TEST_CARDS.map((test) => test.number), '378282246310005'];

  /** The card numbers typed in these tests, as digits and in groups of four (CVCs are checked with containsCvc). */
  function sensitiveValues(): string[] {
    return [...ALL_NUMBERS, ...ALL_NUMBERS.map((number) => number.replace(/(\d{4})(?=\d)/g, '$1 '))];
  }

  /**
   * A CVC's digits can turn up by accident in what we generate (ids, timestamps, hashes, digests,
   * generated emails); anywhere else they are a leak. So: drop those shapes, then look for the CVC
   * as a run of digits of its own.
   */
  function containsCvc(text: string, cvc: string): boolean {
    const scrubbed = text
      .replace(/[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/gi, '<uuid>')
      .replace(/\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}(:\d{2})?)?/g, '<timestamp>')
      .replace(/scrypt\$[\w$.-]+/g, '<hash>')
      .replace(/\b[0-9a-f]{32,}\b/gi, '<digest>')
      .replace(/[\w.+-]+@[\w.-]+/g, '<email>');
    return new RegExp(`(?<!\\d)${cvc}(?!\\d)`).test(scrubbed);
  }

  it('checks CVCs in a way that finds them (control)', () => {
    expect(containsCvc('{"cvc":"731","id":"0b6a7310-aaaa-4bbb-8ccc-000000000731"}', CVC)).toBe(true);
    expect(containsCvc('Variable "$input" got invalid value { cvc: 8402 }', AMEX_CVC)).toBe(true);
    expect(containsCvc('{"id":"0b6a7310-aaaa-4bbb-8ccc-000000000731","createdAt":"2031-07-31T10:07:31.731+00:00"}', CVC)).toBe(false);
    expect(containsCvc('{"hash":"ab731cd0e3f4a5b6c7d8e9f0a1b2c3d4e5f6a7b8c9d0e1f2a3b4c5d6e7f8a9b0","email":"c-731@example.com"}', CVC)).toBe(false);
  });

  it('the accounts database holds no card number, CVC or password after sign-ups and saved cards', async () => {
    const customers = await Promise.all(PASSWORDS.map((password) => supergraph.registerCustomer({ password })));
    for (const test of TEST_CARDS) await addCard(customers[0]!.token, card(test.number));
    await addCard(customers[1]!.token, card('3782 8224 6310 005', { cvc: AMEX_CVC }));
    await addCard(customers[1]!.token, card('4242-4242-4242-4242'));
    // A refused card and a profile change must not leave traces either.
    await mutate(ADD_PAYMENT_METHOD, { input: card('4000000000000002', { cvc: '73' }) }, customers[1]!.token);
    await mutate(UPDATE_PROFILE, { input: { name: 'Leak Checker' } }, customers[1]!.token);

    const sql = postgres(supergraph.databaseUrls.accounts, { max: 1, onnotice: () => {} });
    const dumped: Array<{ table: string; rows: string[] }> = [];
    try {
      const tables = await sql<Array<{ schema: string; table: string }>>`
        select table_schema as schema, table_name as table from information_schema.tables
        where table_schema not in ('pg_catalog', 'information_schema') and table_schema not like 'pg\_%'
        order by 1, 2`;
      for (const { schema, table } of tables) {
        const rows = await sql<Array<{ row: string }>>`select row_to_json(t)::text as row from ${sql(schema)}.${sql(table)} t`;
        dumped.push({ table: `${schema}.${table}`, rows: rows.map(({ row }) => row) });
      }
    } finally {
      await sql.end();
    }
    const dump = dumped.flatMap(({ rows }) => rows).join('\n');

    // The dump sees what was stored: every table, the customers, their hashes and the cards' tokens.
    expect(dumped.map(({ table }) => table)).toEqual(expect.arrayContaining(['public.customers', 'public.addresses', 'public.payment_methods']));
    expect(dumped.some(({ table }) => /drizzle/.test(table))).toBe(true);
    for (const customer of customers) expect(dump).toContain(customer.email);
    expect(dump).toContain('scrypt$');
    for (const token of ['pm_card_visa', 'pm_card_chargeDeclined', 'pm_card_chargeDeclinedInsufficientFunds']) expect(dump).toContain(`"${token}"`);
    for (const last4 of ['"4242"', '"0002"', '"9995"', '"0005"']) expect(dump).toContain(last4);

    for (const value of [...sensitiveValues(), ...PASSWORDS]) expect(dump).not.toContain(value);
    expect(containsCvc(dump, CVC)).toBe(false);
    expect(containsCvc(dump, AMEX_CVC)).toBe(false);
    // No column is there to hold them either (names only: base64 in hashes may spell anything).
    const columns = new Set(dumped.flatMap(({ rows }) => rows.flatMap((row) => Object.keys(JSON.parse(row) as object))));
    expect(columns).toContain('last4');
    for (const column of columns) expect(column).not.toMatch(/cvc|cvv|security_?code|card_?number|^number$|^pan$|password$/i);
  });

  describe('responses', () => {
    let customer: Customer;
    beforeAll(async () => {
      customer = await supergraph.registerCustomer();
    });

    /** Posts through the gateway and returns the raw body, as a client would see it. */
    async function rawRequest(variables: Record<string, unknown>): Promise<{ status: number; text: string }> {
      const response = await fetch(`${supergraph.gatewayUrl}/graphql`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${customer.token}` },
        body: JSON.stringify({ query: ADD_PAYMENT_METHOD, variables }),
      });
      return { status: response.status, text: await response.text() };
    }

    function expectNothingSensitive(text: string, input: Record<string, unknown>) {
      for (const value of sensitiveValues()) expect(text).not.toContain(value);
      if (typeof input.cardNumber === 'string') expect(text).not.toContain(input.cardNumber);
      expect(containsCvc(text, CVC)).toBe(false);
      expect(containsCvc(text, AMEX_CVC)).toBe(false);
    }

    it('neither saved cards nor refused ones come back with their number or CVC', async () => {
      const inputs = [
        card('4242424242424242'),
        card('4000 0000 0000 0002'),
        card('378282246310005', { cvc: AMEX_CVC }),
        card('4000000000009995', { cvc: AMEX_CVC }),
        card('378282246310005', { cvc: CVC }),
        card('4242424242424241'),
        card('4000000000009995', { expYear: THIS_YEAR - 1 }),
      ];
      const outcomes: string[] = [];
      for (const input of inputs) {
        const { status, text } = await rawRequest({ input });
        expect(status).toBe(200);
        const body = JSON.parse(text);
        expect(body.errors).toBeUndefined();
        outcomes.push(body.data.addPaymentMethod.paymentMethod ? 'saved' : body.data.addPaymentMethod.userErrors[0].field);
        expectNothingSensitive(text, input);
      }
      expect(outcomes).toEqual(['saved', 'saved', 'saved', 'cvc', 'cvc', 'cardNumber', 'expYear']);
      const { paymentMethods } = await me(customer.token);
      expect(paymentMethods.map((method) => method.last4).sort()).toEqual(['0002', '0005', '4242']);
    });

    const uncoercible: Array<[string, Record<string, unknown>, RegExp]> = [
      ['the CVC left out', { cardNumber: '4242424242424242', expMonth: 12, expYear: EXP_YEAR }, /"cvc"/],
      ['expMonth as a string', { cardNumber: '4242424242424242', expMonth: '12', expYear: EXP_YEAR, cvc: CVC }, /expMonth/],
      ['the number as a JSON number', { cardNumber: 4242424242424242, expMonth: 12, expYear: EXP_YEAR, cvc: CVC }, /cardNumber/],
      ['the CVC as a JSON number', { cardNumber: '4000000000000002', expMonth: 12, expYear: EXP_YEAR, cvc: Number(AMEX_CVC) }, /cvc/],
      ['a field the input does not have', { cardNumber: '4000000000009995', expMonth: 12, expYear: EXP_YEAR, cvc: CVC, cvv: AMEX_CVC }, /"cvv"/],
    ];
    for (const [label, input, mentions] of uncoercible) {
      it(`a request with ${label} fails with BAD_USER_INPUT without echoing the card, and saves nothing`, async () => {
        const before = await me(customer.token);
        const { text } = await rawRequest({ input });
        const body = JSON.parse(text) as { data?: unknown; errors?: Array<{ message: string; extensions?: { code?: string } }> };
        expect(body.errors?.map((error) => error.extensions?.code)).toEqual(['BAD_USER_INPUT']);
        // Still a useful error: it names the variable and where the problem is.
        expect(body.errors![0]!.message).toMatch(/^Variable "\$input" got invalid value/);
        expect(body.errors![0]!.message).toMatch(mentions);
        expectNothingSensitive(text, input);
        expect((await me(customer.token)).paymentMethods).toEqual(before.paymentMethods);
      });
    }
  });

  describe('logs', () => {
    it('carry no card number or CVC from anything the tests above sent, at debug level', () => {
      const text = supergraph.logs.join('\n');
      // Control: the services did log (at least their start-up), so an empty check proves nothing.
      expect(text).toContain('"message":"listening"');
      for (const value of sensitiveValues()) expect(text).not.toContain(value);
      expect(containsCvc(text, CVC)).toBe(false);
      expect(containsCvc(text, AMEX_CVC)).toBe(false);
    });
  });
});
