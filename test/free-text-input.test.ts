import { randomUUID } from 'node:crypto';
import postgres from 'postgres';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSupergraph, type TestSupergraph } from './support/supergraph.js';

// Control characters (Unicode Cc: C0, DEL, C1) in the free text of any mutation, through the
// gateway: each is INVALID_INPUT on its field, with a message naming the character, and nothing
// is stored. Descriptions alone may hold line feeds and tabs. Names also refuse bidirectional
// controls and invisible format characters. (NUL never gets this far: the HTTP layer refuses it
// for the whole request, see gateway.test.ts.)

let supergraph: TestSupergraph;
let adminToken: string;
let categoryId: string;

beforeAll(async () => {
  supergraph = await startSupergraph({ seedCatalogue: false });
  adminToken = await supergraph.adminToken();
  categoryId = (await mutate(CREATE_CATEGORY, { input: { name: 'Free text tests' } }, adminToken)).category!.id;
});
afterAll(() => supergraph?.stop());

/** [what, the character, how the message names it] */
const CONTROLS: Array<[string, string, string]> = [
  ['an ESC sequence', '\u001B[2J', 'U+001B'],
  ['SOH', '\u0001', 'U+0001'],
  ['DEL', '\u007F', 'U+007F'],
  ['a C1 control (CSI)', '\u009B', 'U+009B'],
];

const USER_ERRORS = /* GraphQL */ `
  fragment UserErrorFields on UserError {
    field
    message
    code
  }
`;
const REGISTER = /* GraphQL */ `
  mutation Register($input: RegisterInput!) {
    register(input: $input) {
      token
      userErrors {
        ...UserErrorFields
      }
    }
  }
  ${USER_ERRORS}
`;
const UPDATE_PROFILE = /* GraphQL */ `
  mutation UpdateProfile($input: UpdateProfileInput!) {
    updateProfile(input: $input) {
      customer {
        id
      }
      userErrors {
        ...UserErrorFields
      }
    }
  }
  ${USER_ERRORS}
`;
const ADD_ADDRESS = /* GraphQL */ `
  mutation AddAddress($input: AddressInput!) {
    addAddress(input: $input) {
      address {
        id
      }
      userErrors {
        ...UserErrorFields
      }
    }
  }
  ${USER_ERRORS}
`;
const ME = /* GraphQL */ `
  query Me {
    me {
      name
      phone
      addresses {
        line1
        line2
        city
        postalCode
      }
    }
  }
`;
const CREATE_CATEGORY = /* GraphQL */ `
  mutation CreateCategory($input: CreateCategoryInput!) {
    createCategory(input: $input) {
      category {
        id
      }
      userErrors {
        ...UserErrorFields
      }
    }
  }
  ${USER_ERRORS}
`;
const CATEGORIES = /* GraphQL */ `
  query Categories {
    categories {
      id
      name
    }
  }
`;
const CREATE_PRODUCT = /* GraphQL */ `
  mutation CreateProduct($input: CreateProductInput!) {
    createProduct(input: $input) {
      product {
        id
        sku
        name
        description
      }
      userErrors {
        ...UserErrorFields
      }
    }
  }
  ${USER_ERRORS}
`;
const UPDATE_PRODUCT = /* GraphQL */ `
  mutation UpdateProduct($id: ID!, $input: UpdateProductInput!) {
    updateProduct(id: $id, input: $input) {
      product {
        id
      }
      userErrors {
        ...UserErrorFields
      }
    }
  }
  ${USER_ERRORS}
`;
const PRODUCT = /* GraphQL */ `
  query Product($id: ID!) {
    product(id: $id) {
      id
      sku
      name
      description
      stock
    }
  }
`;
const PRODUCT_COUNT = /* GraphQL */ `
  query ProductCount {
    products(first: 0) {
      totalCount
    }
  }
`;
const PLACE_ORDER = /* GraphQL */ `
  mutation PlaceOrder($input: PlaceOrderInput!) {
    placeOrder(input: $input) {
      order {
        id
      }
      userErrors {
        ...UserErrorFields
      }
    }
  }
  ${USER_ERRORS}
`;
const MY_ORDERS = /* GraphQL */ `
  query MyOrders {
    orders(first: 0) {
      totalCount
    }
  }
`;

/** A mutation payload as these documents ask for it. */
interface Payload {
  userErrors: Array<{ field: string | null; message: string; code: string }>;
  product?: { id: string; sku: string; name: string; description: string } | null;
  category?: { id: string } | null;
  [other: string]: unknown;
}

/** Runs a mutation that must answer without a top-level error; returns its payload. */
async function mutate(query: string, variables: Record<string, unknown>, token?: string): Promise<Payload> {
  const response = await supergraph.request<Record<string, Payload>>(query, variables, { token });
  expect(response.errors, JSON.stringify(response.errors)).toBeUndefined();
  return Object.values(response.data)[0]!;
}

const refusedFor = (field: string, message: string) => [{ code: 'INVALID_INPUT', field, message }];
const controlMessage = (label: string, codePoint: string) => `${label} must not contain control characters (${codePoint}).`;

describe('accounts', () => {
  it('refuses a control character in a registration name, and no account is made', async () => {
    const accounts = postgres(supergraph.databaseUrls.accounts, { max: 1 });
    try {
      for (const [what, control, codePoint] of CONTROLS) {
        const email = `control-${randomUUID()}@example.com`;
        const payload = await mutate(REGISTER, { input: { email, password: 'correct horse battery', name: `Ada${control} Lovelace` } });
        expect(payload, what).toEqual({ token: null, userErrors: refusedFor('name', controlMessage('The name', codePoint)) });
        expect(await accounts`select 1 from customers where email = ${email}`).toHaveLength(0);
      }
    } finally {
      await accounts.end();
    }
  });

  it('refuses a bidirectional override or an invisible character in a registration name', async () => {
    const bidi = await mutate(REGISTER, { input: { email: `bidi-${randomUUID()}@example.com`, password: 'correct horse battery', name: 'Ada \u202Eecalevol' } });
    expect(bidi.userErrors).toEqual(refusedFor('name', 'The name must not contain bidirectional text controls (U+202E).'));
    const invisible = await mutate(REGISTER, { input: { email: `zwsp-${randomUUID()}@example.com`, password: 'correct horse battery', name: 'A\u200Bda' } });
    expect(invisible.userErrors).toEqual(refusedFor('name', 'The name must not contain invisible formatting characters (U+200B).'));
  });

  it('still takes names in any script, with the joiners scripts and emoji need, and passwords with any character', async () => {
    for (const name of ['Zoë Ñúñez-O’Brien', 'مهر\u200Cناز', '\u{1F468}\u200D\u{1F373} Chef Li']) {
      const payload = await mutate(REGISTER, { input: { email: `ok-${randomUUID()}@example.com`, password: 'pass\u0001word\u202E', name } });
      expect(payload.userErrors, name).toEqual([]);
    }
  });

  it('refuses a control character in updateProfile name or phone, changing nothing', async () => {
    const customer = await supergraph.registerCustomer({ name: 'Before' });
    await mutate(UPDATE_PROFILE, { input: { phone: '+1 415 555 0199' } }, customer.token);
    for (const [what, control, codePoint] of CONTROLS) {
      const name = await mutate(UPDATE_PROFILE, { input: { name: `After${control}` } }, customer.token);
      expect(name, what).toEqual({ customer: null, userErrors: refusedFor('name', controlMessage('The name', codePoint)) });
      const phone = await mutate(UPDATE_PROFILE, { input: { name: 'Would be fine', phone: `+1 415${control} 555 0100` } }, customer.token);
      expect(phone, what).toEqual({ customer: null, userErrors: refusedFor('phone', controlMessage('The phone number', codePoint)) });
    }
    expect((await supergraph.data(ME, {}, { token: customer.token })).me).toMatchObject({ name: 'Before', phone: '+1 415 555 0199' });
  });

  it('refuses a control character in any address line, city or postal code, saving nothing', async () => {
    const customer = await supergraph.registerCustomer();
    const valid = { line1: '1 Main Street', line2: 'Flat 2', city: 'Springfield', postalCode: '12345', country: 'US' };
    const labels = { line1: 'The first line', line2: 'The second line', city: 'The city', postalCode: 'The postal code' } as const;
    for (const [field, label] of Object.entries(labels)) {
      for (const [what, control, codePoint] of CONTROLS) {
        const input = { ...valid, [field]: `${valid[field as keyof typeof labels]}${control}` };
        const payload = await mutate(ADD_ADDRESS, { input }, customer.token);
        expect(payload, `${field}: ${what}`).toEqual({ address: null, userErrors: refusedFor(field, controlMessage(label, codePoint)) });
      }
    }
    // A trailing newline that trimming would have dropped is refused as well.
    expect((await mutate(ADD_ADDRESS, { input: { ...valid, city: 'Springfield\n' } }, customer.token)).userErrors).toEqual(refusedFor('city', controlMessage('The city', 'U+000A')));
    expect((await supergraph.data(ME, {}, { token: customer.token })).me.addresses).toEqual([]);
  });
});

describe('products', () => {
  let product: { id: string; sku: string; name: string; description: string; stock: number };
  beforeAll(async () => {
    const payload = await mutate(CREATE_PRODUCT, { input: { sku: 'TXT-1', name: 'Rolled Oats', description: 'Rolled.', price: '3.50', stock: 4, categoryId } }, adminToken);
    expect(payload.userErrors).toEqual([]);
    product = { ...payload.product!, stock: 4 };
  });

  it('refuses a control character in a category name, creating nothing', async () => {
    const before = (await supergraph.data(CATEGORIES)).categories;
    for (const [what, control, codePoint] of CONTROLS) {
      const payload = await mutate(CREATE_CATEGORY, { input: { name: `Spices${control}` } }, adminToken);
      expect(payload, what).toEqual({ category: null, userErrors: refusedFor('name', controlMessage('Name', codePoint)) });
    }
    expect((await supergraph.data(CATEGORIES)).categories).toEqual(before);
  });

  it('refuses a control character in a new product sku, name or description, creating nothing', async () => {
    const before = (await supergraph.data(PRODUCT_COUNT)).products.totalCount;
    const valid = { sku: 'TXT-NEW', name: 'Oat Milk', description: 'Creamy.', price: '2.20', stock: 3, categoryId };
    for (const [what, control, codePoint] of CONTROLS) {
      const cases: Array<[string, Record<string, string>, string]> = [
        ['sku', { sku: `TXT-NEW${control}` }, controlMessage('SKU', codePoint)],
        ['name', { name: `Oat${control} Milk` }, controlMessage('Name', codePoint)],
        ['description', { description: `Creamy${control}` }, `Description must not contain control characters other than line feeds and tabs (${codePoint}).`],
      ];
      for (const [field, change, message] of cases) {
        const payload = await mutate(CREATE_PRODUCT, { input: { ...valid, ...change } }, adminToken);
        expect(payload, `${field}: ${what}`).toEqual({ product: null, userErrors: refusedFor(field, message) });
      }
    }
    expect((await supergraph.data(PRODUCT_COUNT)).products.totalCount).toBe(before);
    expect((await supergraph.data(`{ productBySku(sku: "TXT-NEW") { id } }`)).productBySku).toBeNull();
  });

  it('keeps line feeds and tabs in a description, and only there', async () => {
    const description = 'Ingredients:\n\t- oats\n\t- water';
    const created = await mutate(CREATE_PRODUCT, { input: { sku: 'TXT-LINES', name: 'Oat Drink', description, price: '1.90', stock: 1, categoryId } }, adminToken);
    expect(created.userErrors).toEqual([]);
    expect((await supergraph.data(PRODUCT, { id: created.product!.id })).product.description).toBe(description);
    const named = await mutate(CREATE_PRODUCT, { input: { sku: 'TXT-TAB', name: 'Oat\tDrink', price: '1.90', stock: 1, categoryId } }, adminToken);
    expect(named.userErrors).toEqual(refusedFor('name', controlMessage('Name', 'U+0009')));
  });

  it('refuses a control character in an updated name or description, changing nothing', async () => {
    for (const [what, control, codePoint] of CONTROLS) {
      const name = await mutate(UPDATE_PRODUCT, { id: product.id, input: { name: `Oats${control}`, description: 'Would be fine.' } }, adminToken);
      expect(name, what).toEqual({ product: null, userErrors: refusedFor('name', controlMessage('Name', codePoint)) });
      const description = await mutate(UPDATE_PRODUCT, { id: product.id, input: { description: `Rolled${control}` } }, adminToken);
      expect(description, what).toEqual({
        product: null,
        userErrors: refusedFor('description', `Description must not contain control characters other than line feeds and tabs (${codePoint}).`),
      });
    }
    expect((await supergraph.data(PRODUCT, { id: product.id })).product).toEqual(product);
  });

  it('refuses a bidirectional override in a product name or description', async () => {
    const name = await mutate(UPDATE_PRODUCT, { id: product.id, input: { name: 'Oats \u202Estao' } }, adminToken);
    expect(name.userErrors).toEqual(refusedFor('name', 'Name must not contain bidirectional text controls (U+202E).'));
    const description = await mutate(UPDATE_PRODUCT, { id: product.id, input: { description: 'Rolled \u2067delloR\u2069' } }, adminToken);
    expect(description.userErrors).toEqual(refusedFor('description', 'Description must not contain bidirectional text controls (U+2067).'));
    expect((await supergraph.data(PRODUCT, { id: product.id })).product).toEqual(product);
  });

  it('refuses a search holding a control character with BAD_USER_INPUT saying so, not an internal error', async () => {
    for (const [what, control, codePoint] of CONTROLS) {
      const response = await supergraph.request(`query($search: String) { products(filter: { search: $search }) { totalCount } }`, { search: `oats${control}` });
      expect(
        response.errors?.map((error) => error.extensions?.code),
        what,
      ).toEqual(['BAD_USER_INPUT']);
      expect(response.errors?.[0]?.message).toBe(controlMessage('filter.search', codePoint));
    }
  });
});

describe('orders', () => {
  it('refuses a control character in the idempotency key, taking no stock and placing no order', async () => {
    const customer = await supergraph.registerCustomer();
    const created = await mutate(CREATE_PRODUCT, { input: { sku: 'TXT-ORDER', name: 'Oat Flakes', price: '2.00', stock: 5, categoryId } }, adminToken);
    for (const [what, control, codePoint] of CONTROLS) {
      const payload = await mutate(PLACE_ORDER, { input: { idempotencyKey: `${randomUUID()}${control}`, items: [{ productId: created.product!.id, quantity: 1 }] } }, customer.token);
      expect(payload, what).toEqual({ order: null, userErrors: refusedFor('idempotencyKey', controlMessage('The idempotency key', codePoint)) });
    }
    expect((await supergraph.data(PRODUCT, { id: created.product!.id })).product.stock).toBe(5);
    expect((await supergraph.data(MY_ORDERS, {}, { token: customer.token })).orders.totalCount).toBe(0);
  });
});
