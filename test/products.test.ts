import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { demoCatalogue } from '../subgraphs/products/src/seed/demo-catalogue.js';
import { startSupergraph, type TestSupergraph } from './support/supergraph.js';

// The products catalogue as a frontend sees it through the gateway: listing, filters, money,
// admin writes and their refusals, archiving, recommendations, and the cost in SQL statements.

let supergraph: TestSupergraph;
let adminToken: string;
let customer: { token: string; id: string };

beforeAll(async () => {
  supergraph = await startSupergraph();
  adminToken = await supergraph.adminToken();
  customer = await supergraph.registerCustomer();
});
afterAll(() => supergraph?.stop());

// ------------------------------------------------------------------ documents

const MONEY = /* GraphQL */ `
  fragment MoneyFields on Money {
    amount
    currencyCode
  }
`;
const USER_ERRORS = /* GraphQL */ `
  fragment UserErrorFields on UserError {
    field
    message
    code
  }
`;

/** The contract's `Products` operation, with the sort arguments the schema offers beyond it. */
const PRODUCTS = /* GraphQL */ `
  query Products($first: Int, $after: String, $filter: ProductFilter, $sortKey: ProductSortKey, $reverse: Boolean) {
    products(first: $first, after: $after, filter: $filter, sortKey: $sortKey, reverse: $reverse) {
      totalCount
      pageInfo {
        hasNextPage
        hasPreviousPage
        startCursor
        endCursor
      }
      edges {
        cursor
        node {
          id
          sku
          name
          price {
            ...MoneyFields
          }
          stock
          inStock
          createdAt
          category {
            id
            name
          }
        }
      }
    }
  }
  ${MONEY}
`;

const PRODUCT = /* GraphQL */ `
  query Product($id: ID!) {
    product(id: $id) {
      id
      sku
      name
      description
      price {
        ...MoneyFields
      }
      stock
      inStock
      category {
        id
        name
      }
      recommendations {
        id
        name
        price {
          ...MoneyFields
        }
        inStock
      }
    }
  }
  ${MONEY}
`;

const CATEGORIES = /* GraphQL */ `
  query Categories {
    categories {
      id
      name
      productCount
    }
  }
`;

const CREATE_CATEGORY = /* GraphQL */ `
  mutation CreateCategory($input: CreateCategoryInput!) {
    createCategory(input: $input) {
      category {
        id
        name
      }
      userErrors {
        ...UserErrorFields
      }
    }
  }
  ${USER_ERRORS}
`;

const CREATE_PRODUCT = /* GraphQL */ `
  mutation CreateProduct($input: CreateProductInput!) {
    createProduct(input: $input) {
      product {
        id
        sku
        name
        description
        price {
          ...MoneyFields
        }
        stock
        inStock
        category {
          id
          name
        }
      }
      userErrors {
        ...UserErrorFields
      }
    }
  }
  ${MONEY}
  ${USER_ERRORS}
`;

const UPDATE_PRODUCT = /* GraphQL */ `
  mutation UpdateProduct($id: ID!, $input: UpdateProductInput!) {
    updateProduct(id: $id, input: $input) {
      product {
        id
        sku
        name
        description
        price {
          ...MoneyFields
        }
        stock
        category {
          id
          name
        }
      }
      userErrors {
        ...UserErrorFields
      }
    }
  }
  ${MONEY}
  ${USER_ERRORS}
`;

const DELETE_PRODUCT = /* GraphQL */ `
  mutation DeleteProduct($id: ID!) {
    deleteProduct(id: $id) {
      deletedId
      userErrors {
        ...UserErrorFields
      }
    }
  }
  ${USER_ERRORS}
`;

const UPDATE_STOCK = /* GraphQL */ `
  mutation UpdateStock($productId: ID!, $stock: Int!) {
    updateStock(productId: $productId, stock: $stock) {
      product {
        id
        stock
        inStock
      }
      userErrors {
        ...UserErrorFields
      }
    }
  }
  ${USER_ERRORS}
`;

const ADD_RECOMMENDATION = /* GraphQL */ `
  mutation AddRecommendation($productId: ID!, $recommendedProductId: ID!) {
    addRecommendation(productId: $productId, recommendedProductId: $recommendedProductId) {
      product {
        id
        recommendations {
          id
        }
      }
      userErrors {
        ...UserErrorFields
      }
    }
  }
  ${USER_ERRORS}
`;

const REMOVE_RECOMMENDATION = /* GraphQL */ `
  mutation RemoveRecommendation($productId: ID!, $recommendedProductId: ID!) {
    removeRecommendation(productId: $productId, recommendedProductId: $recommendedProductId) {
      product {
        id
        recommendations {
          id
        }
      }
      userErrors {
        ...UserErrorFields
      }
    }
  }
  ${USER_ERRORS}
`;

const ADD_TO_CART = /* GraphQL */ `
  mutation AddToCart($input: AddToCartInput!) {
    addToCart(input: $input) {
      cart {
        items {
          quantity
          lineTotal {
            ...MoneyFields
          }
          product {
            id
            name
          }
        }
        subtotal {
          ...MoneyFields
        }
      }
      userErrors {
        ...UserErrorFields
      }
    }
  }
  ${MONEY}
  ${USER_ERRORS}
`;

// ------------------------------------------------------------------ fixtures

interface Money {
  amount: string;
  currencyCode: string;
}
interface ProductView {
  id: string;
  sku: string;
  name: string;
  description: string;
  price: Money;
  stock: number;
  inStock: boolean;
  createdAt: string;
  category: { id: string; name: string };
}
interface Connection {
  totalCount: number;
  pageInfo: { hasNextPage: boolean; hasPreviousPage: boolean; startCursor: string | null; endCursor: string | null };
  edges: Array<{ cursor: string; node: ProductView }>;
}

let sequence = 0;
/** Letters only, so that names built from it sort the same under any database collation. */
function uniqueWord(): string {
  sequence += 1;
  return `Q${sequence.toString(26).replace(/./g, (digit) => String.fromCharCode(97 + parseInt(digit, 26)))}`;
}
const uniqueSku = (prefix = 'TST') => `${prefix}-${uniqueWord().toUpperCase()}`;

async function createCategory(name = `Test category ${uniqueWord()}`): Promise<{ id: string; name: string }> {
  const data = await supergraph.data(CREATE_CATEGORY, { input: { name } }, { token: adminToken });
  expect(data.createCategory.userErrors).toEqual([]);
  return data.createCategory.category;
}

interface ProductInput {
  sku?: string;
  name?: string;
  description?: string;
  price?: string;
  stock?: number;
  categoryId?: string;
}

let defaultCategoryId: string | undefined;
/** Creates a product as the admin; by default in a category of this file's own, never a demo one. */
async function createProduct(overrides: ProductInput = {}): Promise<ProductView> {
  if (overrides.categoryId === undefined) defaultCategoryId ??= (await createCategory()).id;
  const input = {
    sku: overrides.sku ?? uniqueSku(),
    name: overrides.name ?? `Test product ${uniqueWord()}`,
    description: overrides.description ?? 'Made for a test.',
    price: overrides.price ?? '9.99',
    stock: overrides.stock ?? 10,
    categoryId: overrides.categoryId ?? defaultCategoryId,
  };
  const data = await supergraph.data(CREATE_PRODUCT, { input }, { token: adminToken });
  expect(data.createProduct.userErrors).toEqual([]);
  return data.createProduct.product;
}

async function listProducts(variables: Record<string, unknown> = {}): Promise<Connection> {
  return (await supergraph.data(PRODUCTS, variables)).products;
}

async function findProduct(id: string) {
  return (await supergraph.data(PRODUCT, { id })).product;
}

async function archive(id: string): Promise<void> {
  const data = await supergraph.data(DELETE_PRODUCT, { id }, { token: adminToken });
  expect(data.deleteProduct).toEqual({ deletedId: id, userErrors: [] });
}

async function categoryCounts(): Promise<Map<string, number>> {
  const data = await supergraph.data(CATEGORIES);
  return new Map(data.categories.map((category: { id: string; productCount: number }) => [category.id, category.productCount]));
}

/** The `extensions.code` of the first top-level error of a request. */
async function topLevelErrorCode(query: string, variables: Record<string, unknown>, token?: string): Promise<string | undefined> {
  const response = await supergraph.request(query, variables, { token });
  expect(response.errors, 'expected a top-level error').toBeDefined();
  return response.errors?.[0]?.extensions?.code;
}

/** Follows `endCursor` until `hasNextPage` is false; returns every node seen, in order. */
async function walkAllPages(variables: Record<string, unknown>, pageSize: number): Promise<{ nodes: ProductView[]; pages: Connection[] }> {
  const nodes: ProductView[] = [];
  const pages: Connection[] = [];
  let after: string | null = null;
  for (;;) {
    const page = await listProducts({ ...variables, first: pageSize, after });
    pages.push(page);
    nodes.push(...page.edges.map((edge) => edge.node));
    if (!page.pageInfo.hasNextPage) return { nodes, pages };
    expect(page.edges).toHaveLength(pageSize);
    after = page.pageInfo.endCursor;
    expect(pages.length, 'paging never ended').toBeLessThan(200);
  }
}

const ids = (nodes: Array<{ id: string }>) => nodes.map((node) => node.id);
const byId = (a: { id: string }, b: { id: string }) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);
const demoProducts = Object.entries(demoCatalogue).flatMap(([category, items]) =>
  items.map(([sku, name, priceCents, stock, description]) => ({ category, sku, name, priceCents, stock, description })),
);
const DECIMAL_AMOUNT = /^\d+\.\d{2}$/;

// ------------------------------------------------------------------ the products connection

describe('the products connection', () => {
  // Runs first, while the catalogue still fits on one page of 100.
  it('pages with endCursor through every active product exactly once, in the order of a single page', async () => {
    const all = await listProducts({ first: 100 });
    expect(all.totalCount).toBeLessThanOrEqual(100);
    expect(all.pageInfo.hasNextPage).toBe(false);

    const { nodes, pages } = await walkAllPages({}, 7);
    expect(ids(nodes)).toEqual(ids(all.edges.map((edge) => edge.node)));
    expect(new Set(ids(nodes)).size).toBe(nodes.length);
    expect(nodes).toHaveLength(all.totalCount);
    expect(pages.at(-1)!.pageInfo.hasNextPage).toBe(false);
    expect(pages.every((page) => page.totalCount === all.totalCount)).toBe(true);
    expect(pages[0]!.pageInfo.hasPreviousPage).toBe(false);
    expect(pages[1]!.pageInfo.hasPreviousPage).toBe(true);
    // Every demo product is active, so each one is on exactly one page.
    expect(new Set(nodes.map((node) => node.sku))).toEqual(new Set(demoProducts.map((product) => product.sku)));
  });

  it('sorts by name, then by id for equal names', async () => {
    const category = await createCategory();
    const word = uniqueWord();
    const names = [`${word} Gamma`, `${word} Alpha`, `${word} Beta`, `${word} Alpha`, `${word} Beta`];
    const created: ProductView[] = [];
    for (const name of names) created.push(await createProduct({ name, categoryId: category.id }));

    const page = await listProducts({ filter: { categoryId: category.id } });
    const expected = [...created].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : byId(a, b)));
    expect(ids(page.edges.map((edge) => edge.node))).toEqual(ids(expected));
    expect(page.edges.map((edge) => edge.node.name)).toEqual([`${word} Alpha`, `${word} Alpha`, `${word} Beta`, `${word} Beta`, `${word} Gamma`]);
  });

  it('keeps the name-then-id order across pages, equal names included', async () => {
    const category = await createCategory();
    const name = `${uniqueWord()} Twin`;
    for (let index = 0; index < 5; index += 1) await createProduct({ name, categoryId: category.id });

    const { nodes } = await walkAllPages({ filter: { categoryId: category.id } }, 2);
    expect(nodes).toHaveLength(5);
    expect(ids(nodes)).toEqual(ids([...nodes].sort(byId)));
  });

  it('says there is no next page when the last page is exactly full', async () => {
    const category = await createCategory();
    for (let index = 0; index < 4; index += 1) await createProduct({ categoryId: category.id });
    const filter = { categoryId: category.id };

    const whole = await listProducts({ first: 4, filter });
    expect(whole.edges).toHaveLength(4);
    expect(whole.pageInfo.hasNextPage).toBe(false);
    const firstHalf = await listProducts({ first: 2, filter });
    expect(firstHalf.pageInfo.hasNextPage).toBe(true);
    const secondHalf = await listProducts({ first: 2, after: firstHalf.pageInfo.endCursor, filter });
    expect(secondHalf.edges).toHaveLength(2);
    expect(secondHalf.pageInfo.hasNextPage).toBe(false);
    expect(ids(secondHalf.edges.map((edge) => edge.node))).toEqual(ids(whole.edges.slice(2).map((edge) => edge.node)));
  });

  it('returns 20 products when first is not given', async () => {
    const page = await listProducts();
    expect(page.edges).toHaveLength(20);
    expect(page.pageInfo.hasNextPage).toBe(true);
    expect(page.pageInfo.endCursor).toBe(page.edges.at(-1)!.cursor);
    expect(page.pageInfo.startCursor).toBe(page.edges[0]!.cursor);
  });

  it('accepts first: 0 and answers with no edges but the total count', async () => {
    const page = await listProducts({ first: 0 });
    expect(page.edges).toEqual([]);
    expect(page.totalCount).toBeGreaterThanOrEqual(demoProducts.length);
    expect(page.pageInfo.endCursor).toBeNull();
    expect(page.pageInfo.hasNextPage).toBe(true);
  });

  it('accepts first: 100', async () => {
    const page = await listProducts({ first: 100 });
    expect(page.edges.length).toBe(Math.min(100, page.totalCount));
  });

  for (const first of [101, 1000, -1]) {
    it(`refuses first: ${first} with BAD_USER_INPUT`, async () => {
      const response = await supergraph.request(PRODUCTS, { first });
      expect(response.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
      expect(response.data?.products ?? null).toBeNull();
    });
  }

  it('refuses an unreadable after cursor with BAD_USER_INPUT', async () => {
    const real = (await listProducts({ first: 1 })).pageInfo.endCursor!;
    const unreadable = ['not a cursor', 'bm90LWpzb24', real.split('').reverse().join(''), real.slice(0, -4), `${real}x${real}`];
    for (const after of unreadable) {
      expect(await topLevelErrorCode(PRODUCTS, { first: 5, after }), `after: ${after}`).toBe('BAD_USER_INPUT');
    }
  });

  it('refuses a cursor whose contents were altered with BAD_USER_INPUT, not an internal error', async () => {
    // Cursors are opaque, but a client can still send one back changed; decode one to change it.
    const cursorOf = async (sortKey: string) => (await listProducts({ first: 1, sortKey })).pageInfo.endCursor!;
    const altered = (cursor: string, value: unknown) => {
      const parts = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) as unknown[];
      return Buffer.from(JSON.stringify([parts[0], value, ...parts.slice(2)])).toString('base64url');
    };
    const createdAt = await cursorOf('CREATED_AT');
    const name = await cursorOf('NAME');
    const price = await cursorOf('PRICE');
    const cases: Array<[string, string, unknown]> = [
      ['CREATED_AT', createdAt, 'yesterday'],
      ['CREATED_AT', createdAt, '0000-01-01T00:00:00.000Z'],
      ['CREATED_AT', createdAt, '2024-01-01T25:00:00.000Z'],
      ['CREATED_AT', createdAt, 12],
      ['NAME', name, 'Apple\u0000'],
      ['NAME', name, 7],
      ['PRICE', price, 'cheap'],
      ['PRICE', price, 1.5],
    ];
    for (const [sortKey, cursor, value] of cases) {
      const response = await supergraph.request(PRODUCTS, { first: 2, sortKey, after: altered(cursor, value) });
      expect(response.errors?.[0]?.extensions?.code, `${sortKey} cursor holding ${JSON.stringify(value)}`).toBe('BAD_USER_INPUT');
    }
  });

  it('counts every match in totalCount, whatever the page size', async () => {
    const category = await createCategory();
    const created = [await createProduct({ categoryId: category.id }), await createProduct({ categoryId: category.id }), await createProduct({ categoryId: category.id })];
    for (const first of [0, 1, 3, 20]) {
      expect((await listProducts({ first, filter: { categoryId: category.id } })).totalCount).toBe(3);
    }
    await archive(created[1]!.id);
    const page = await listProducts({ filter: { categoryId: category.id } });
    expect(page.totalCount).toBe(2);
    expect(ids(page.edges.map((edge) => edge.node)).sort()).toEqual(ids([created[0]!, created[2]!]).sort());
  });

  describe('other orderings', () => {
    let category: { id: string };
    let created: ProductView[];
    const cents = (product: ProductView) => Math.round(Number(product.price.amount) * 100);

    beforeAll(async () => {
      category = await createCategory();
      created = [];
      for (const price of ['3.00', '1.00', '2.50', '1.00', '10.00', '2.50']) {
        created.push(await createProduct({ price, categoryId: category.id }));
      }
    });

    const byPrice = (a: ProductView, b: ProductView) => cents(a) - cents(b) || byId(a, b);
    const byCreatedAt = (a: ProductView, b: ProductView) => Date.parse(a.createdAt) - Date.parse(b.createdAt) || byId(a, b);
    const cases: Array<[string, string, boolean, (a: ProductView, b: ProductView) => number]> = [
      ['price, cheapest first, then id', 'PRICE', false, byPrice],
      ['price, dearest first, then id descending', 'PRICE', true, (a, b) => byPrice(b, a)],
      ['creation time, oldest first, then id', 'CREATED_AT', false, byCreatedAt],
      ['creation time, newest first, then id descending', 'CREATED_AT', true, (a, b) => byCreatedAt(b, a)],
    ];

    for (const [description, sortKey, reverse, compare] of cases) {
      it(`sorts by ${description}, on one page and across pages`, async () => {
        const withCreatedAt = (await listProducts({ filter: { categoryId: category.id }, sortKey: 'NAME' })).edges.map((edge) => edge.node);
        const expected = ids([...withCreatedAt].sort(compare));

        const page = await listProducts({ filter: { categoryId: category.id }, sortKey, reverse });
        expect(ids(page.edges.map((edge) => edge.node))).toEqual(expected);
        const { nodes } = await walkAllPages({ filter: { categoryId: category.id }, sortKey, reverse }, 2);
        expect(ids(nodes)).toEqual(expected);
      });
    }

    it('sorts by name, last first, when reversed', async () => {
      const forward = await walkAllPages({ filter: { categoryId: category.id } }, 100);
      const backward = await walkAllPages({ filter: { categoryId: category.id }, reverse: true }, 4);
      expect(ids(backward.nodes)).toEqual(ids(forward.nodes).reverse());
    });

    it('refuses a cursor from one ordering used with another with BAD_USER_INPUT', async () => {
      const cursorOf = async (sortKey: string) => (await listProducts({ first: 1, filter: { categoryId: category.id }, sortKey })).pageInfo.endCursor!;
      const cursors = { NAME: await cursorOf('NAME'), PRICE: await cursorOf('PRICE'), CREATED_AT: await cursorOf('CREATED_AT') };
      for (const [from, after] of Object.entries(cursors)) {
        for (const sortKey of Object.keys(cursors).filter((key) => key !== from)) {
          expect(await topLevelErrorCode(PRODUCTS, { first: 2, after, sortKey }), `${from} cursor with ${sortKey}`).toBe('BAD_USER_INPUT');
        }
      }
    });
  });
});

// ------------------------------------------------------------------ filters

describe('filtering products', () => {
  let category: { id: string };
  let word: string;
  let inName: ProductView;
  let inSku: ProductView;
  let inDescription: ProductView;
  let soldOut: ProductView;

  beforeAll(async () => {
    category = await createCategory();
    word = uniqueWord().toLowerCase();
    inName = await createProduct({ name: `Organic ${word}berry jam`, price: '1.00', stock: 5, categoryId: category.id });
    inSku = await createProduct({ sku: `JAM-${word.toUpperCase()}SKU-1`, price: '2.50', stock: 3, categoryId: category.id });
    inDescription = await createProduct({ description: `Hand-made with ${word}wood honey.`, price: '4.00', stock: 8, categoryId: category.id });
    soldOut = await createProduct({ name: `Sold-out ${word}berry jam`, price: '2.50', stock: 0, categoryId: category.id });
  });

  const matching = async (filter: Record<string, unknown>) => {
    const page = await listProducts({ first: 100, filter });
    expect(page.totalCount).toBe(page.edges.length);
    return ids(page.edges.map((edge) => edge.node)).sort();
  };
  const sorted = (...products: ProductView[]) => ids(products).sort();

  it('narrows to one category by categoryId', async () => {
    expect(await matching({ categoryId: category.id })).toEqual(sorted(inName, inSku, inDescription, soldOut));
  });

  it('finds nothing for an unknown or malformed categoryId, without an error', async () => {
    expect(await matching({ categoryId: randomUUID() })).toEqual([]);
    expect(await matching({ categoryId: 'not-an-id' })).toEqual([]);
  });

  it('searches the name, case-insensitively', async () => {
    expect(await matching({ search: `${word.toUpperCase()}BERRY JAM` })).toEqual(sorted(inName, soldOut));
    expect(await matching({ search: `organic ${word}` })).toEqual(sorted(inName));
  });

  it('searches the sku, case-insensitively', async () => {
    expect(await matching({ search: `jam-${word}sku` })).toEqual(sorted(inSku));
    expect(await matching({ search: inSku.sku })).toEqual(sorted(inSku));
  });

  it('searches the description, case-insensitively', async () => {
    expect(await matching({ search: `${word.toUpperCase()}WOOD HONEY` })).toEqual(sorted(inDescription));
  });

  it('matches every product holding the text somewhere', async () => {
    expect(await matching({ search: word })).toEqual(sorted(inName, inSku, inDescription, soldOut));
    expect(await matching({ search: word.split('').reverse().join('') + 'zzz' })).toEqual([]);
  });

  it('searches for % and _ literally, not as wildcards', async () => {
    const literal = await createProduct({ name: `${word} 50% off_today`, categoryId: category.id });
    expect(await matching({ search: '50% off_' })).toEqual(sorted(literal));
    expect(await matching({ search: `${word}%jam` })).toEqual([]);
    expect(await matching({ search: `${word}_erry` })).toEqual([]);
    await archive(literal.id);
  });

  it('finds demo products by a word of their description', async () => {
    const page = await listProducts({ filter: { search: 'CULTURED' } });
    expect(page.edges.map((edge) => edge.node.sku).sort()).toEqual(['BAK-CROISSANT-4', 'DRY-BUTTER-250']);
  });

  it('narrows to products in stock or out of stock by inStock', async () => {
    expect(await matching({ categoryId: category.id, inStock: true })).toEqual(sorted(inName, inSku, inDescription));
    expect(await matching({ categoryId: category.id, inStock: false })).toEqual(sorted(soldOut));

    const outOfStock = await listProducts({ first: 100, filter: { inStock: false } });
    expect(outOfStock.edges.every((edge) => edge.node.stock === 0 && !edge.node.inStock)).toBe(true);
    const demoSoldOut = demoProducts.filter((product) => product.stock === 0).map((product) => product.sku);
    expect(demoSoldOut.length).toBeGreaterThan(0);
    expect(outOfStock.edges.map((edge) => edge.node.sku)).toEqual(expect.arrayContaining(demoSoldOut));
    const inStock = await listProducts({ first: 100, filter: { inStock: true } });
    expect(inStock.edges.every((edge) => edge.node.stock > 0 && edge.node.inStock)).toBe(true);
    expect(inStock.totalCount + outOfStock.totalCount).toBe((await listProducts({ first: 0 })).totalCount);
  });

  it('narrows by minPrice and maxPrice, both inclusive, given as decimal strings', async () => {
    expect(await matching({ categoryId: category.id, minPrice: '2.50' })).toEqual(sorted(inSku, soldOut, inDescription));
    expect(await matching({ categoryId: category.id, maxPrice: '2.50' })).toEqual(sorted(inName, inSku, soldOut));
    expect(await matching({ categoryId: category.id, minPrice: '2.5', maxPrice: '2.5' })).toEqual(sorted(inSku, soldOut));
    expect(await matching({ categoryId: category.id, minPrice: '2.51', maxPrice: '3.99' })).toEqual([]);
    expect(await matching({ categoryId: category.id, minPrice: '1', maxPrice: '4' })).toEqual(sorted(inName, inSku, soldOut, inDescription));
  });

  it('narrows demo products by price range', async () => {
    const demoSkus = new Set(demoProducts.map((product) => product.sku));
    const page = await listProducts({ first: 100, filter: { minPrice: '20.00', maxPrice: '29.99' } });
    const expected = demoProducts.filter((product) => product.priceCents >= 2000 && product.priceCents <= 2999).map((product) => product.sku);
    expect(expected.length).toBeGreaterThan(0);
    expect(
      page.edges
        .map((edge) => edge.node.sku)
        .filter((sku) => demoSkus.has(sku))
        .sort(),
    ).toEqual(expected.sort());
  });

  it('applies every filter given at once', async () => {
    expect(await matching({ categoryId: category.id, search: `${word}berry`, inStock: true })).toEqual(sorted(inName));
    expect(await matching({ categoryId: category.id, search: `${word}berry`, inStock: false, minPrice: '2.00' })).toEqual(sorted(soldOut));
    expect(await matching({ search: word, inStock: true, minPrice: '2.00', maxPrice: '3.00' })).toEqual(sorted(inSku));
    expect(await matching({ categoryId: randomUUID(), search: word })).toEqual([]);
  });

  it('pages through a filtered list with the filter kept', async () => {
    const { nodes, pages } = await walkAllPages({ filter: { search: word } }, 1);
    expect(ids(nodes).sort()).toEqual(sorted(inName, inSku, inDescription, soldOut));
    expect(pages.every((page) => page.totalCount === 4)).toBe(true);
  });

  it('refuses a search holding a NUL character with BAD_USER_INPUT, not an internal error', async () => {
    expect(await topLevelErrorCode(PRODUCTS, { filter: { search: `${word}\u0000` } })).toBe('BAD_USER_INPUT');
  });

  for (const [filter, value, message] of [
    ['minPrice', 'abc', 'filter.minPrice must be a decimal amount such as "19.99".'],
    ['maxPrice', '-1.00', 'filter.maxPrice must not be negative.'],
    ['minPrice', '1.234', 'filter.minPrice must have at most two decimal places.'],
    ['maxPrice', '', 'filter.maxPrice must be a decimal amount such as "19.99".'],
    ['maxPrice', '900000000.00', 'filter.maxPrice must be at most 100000000.00.'],
    ['minPrice', '100000000.01', 'filter.minPrice must be at most 100000000.00.'],
  ] as const) {
    it(`refuses ${filter}: "${value}" with BAD_USER_INPUT saying "${message}"`, async () => {
      const response = await supergraph.request(PRODUCTS, { filter: { [filter]: value } });
      expect(response.errors?.map((error) => [error.extensions?.code, error.message])).toEqual([['BAD_USER_INPUT', message]]);
    });
  }

  it('accepts minPrice and maxPrice of exactly 100000000.00', async () => {
    expect((await listProducts({ filter: { categoryId: category.id, minPrice: '0', maxPrice: '100000000.00' } })).totalCount).toBe(4);
    expect((await listProducts({ filter: { categoryId: category.id, minPrice: '100000000.00' } })).totalCount).toBe(0);
  });
});

// ------------------------------------------------------------------ money

describe('prices', () => {
  it('are strings with exactly two fraction digits, in USD', async () => {
    const page = await listProducts({ first: 100 });
    for (const { node } of page.edges) {
      expect(node.price.amount).toMatch(DECIMAL_AMOUNT);
      expect(node.price.currencyCode).toBe('USD');
    }
    const apples = page.edges.find((edge) => edge.node.sku === 'PRD-APPLE-1KG')!.node;
    expect(apples.price).toEqual({ amount: '4.49', currencyCode: 'USD' });
  });

  it('are stored and returned with two fraction digits whatever the input gave', async () => {
    for (const [input, shown] of [
      ['19.9', '19.90'],
      ['5', '5.00'],
      ['0.10', '0.10'],
      ['0', '0.00'],
      ['1234567.89', '1234567.89'],
    ]) {
      const product = await createProduct({ price: input });
      expect(product.price, `price ${input}`).toEqual({ amount: shown, currencyCode: 'USD' });
      expect((await findProduct(product.id)).price.amount).toBe(shown);
    }
  });

  it('keep amounts that binary floating point cannot hold exactly', async () => {
    for (const amount of ['0.29', '4.35', '1.15', '0.07', '99999999.99']) {
      const product = await createProduct({ price: amount });
      expect((await findProduct(product.id)).price.amount).toBe(amount);
      const page = await listProducts({ filter: { categoryId: product.category.id, minPrice: amount, maxPrice: amount } });
      expect(ids(page.edges.map((edge) => edge.node))).toContain(product.id);
    }
  });

  it('add up exactly in a cart: 3 × 0.10 + 3 × 4.35 is 13.35', async () => {
    const shopper = await supergraph.registerCustomer();
    const dime = await createProduct({ price: '0.10' });
    const pricey = await createProduct({ price: '4.35' });
    await supergraph.data(ADD_TO_CART, { input: { productId: dime.id, quantity: 3 } }, { token: shopper.token });
    const data = await supergraph.data(ADD_TO_CART, { input: { productId: pricey.id, quantity: 3 } }, { token: shopper.token });
    expect(data.addToCart.userErrors).toEqual([]);
    const lines = new Map(data.addToCart.cart.items.map((item: { product: { id: string }; lineTotal: Money }) => [item.product.id, item.lineTotal.amount]));
    expect(lines.get(dime.id)).toBe('0.30');
    expect(lines.get(pricey.id)).toBe('13.05');
    expect(data.addToCart.cart.subtotal).toEqual({ amount: '13.35', currencyCode: 'USD' });
  });
});

// ------------------------------------------------------------------ product(id)

describe('product(id)', () => {
  it('returns an active product with its category and recommendations', async () => {
    const category = await createCategory();
    const product = await createProduct({ name: 'Fig Chutney', description: 'Slow-cooked figs.', price: '6.25', stock: 4, categoryId: category.id });
    const partner = await createProduct({ price: '3.10', stock: 0 });
    await supergraph.data(ADD_RECOMMENDATION, { productId: product.id, recommendedProductId: partner.id }, { token: adminToken });

    expect(await findProduct(product.id)).toEqual({
      id: product.id,
      sku: product.sku,
      name: 'Fig Chutney',
      description: 'Slow-cooked figs.',
      price: { amount: '6.25', currencyCode: 'USD' },
      stock: 4,
      inStock: true,
      category: { id: category.id, name: category.name },
      recommendations: [{ id: partner.id, name: partner.name, price: { amount: '3.10', currencyCode: 'USD' }, inStock: false }],
    });
  });

  it('returns a demo product as seeded', async () => {
    const listed = (await listProducts({ filter: { search: 'PRD-KALE-200' } })).edges[0]!.node;
    const kale = await findProduct(listed.id);
    expect(kale).toMatchObject({ sku: 'PRD-KALE-200', name: 'Curly Kale, 200 g', price: { amount: '2.29', currencyCode: 'USD' }, stock: 0, inStock: false, category: { name: 'Fresh Produce' } });
    expect(kale.recommendations.length).toBeGreaterThan(0);
  });

  it('is null for an unknown id', async () => {
    expect(await supergraph.data(PRODUCT, { id: randomUUID() })).toEqual({ product: null });
  });

  it('is null, not an error, for an id that cannot be one', async () => {
    for (const id of ['not-a-uuid', '', '1', "' or 1=1 --"]) {
      const response = await supergraph.request(PRODUCT, { id });
      expect(response.errors, `id ${JSON.stringify(id)}`).toBeUndefined();
      expect(response.data).toEqual({ product: null });
    }
  });

  it('is null for an archived product', async () => {
    const product = await createProduct();
    expect(await findProduct(product.id)).not.toBeNull();
    await archive(product.id);
    expect(await findProduct(product.id)).toBeNull();
  });
});

// ------------------------------------------------------------------ productBySku

describe('productBySku', () => {
  const PRODUCT_BY_SKU = /* GraphQL */ `
    query ProductBySku($sku: String!) {
      productBySku(sku: $sku) {
        id
        sku
      }
    }
  `;
  const bySku = async (sku: string) => (await supergraph.data(PRODUCT_BY_SKU, { sku })).productBySku;

  it('finds an active product by its sku in any letter case, as SKUs are unique in any case', async () => {
    const product = await createProduct({ sku: `${uniqueSku('LOOKUP')}-Mixed` });
    for (const sku of [product.sku, product.sku.toLowerCase(), product.sku.toUpperCase()]) {
      expect(await bySku(sku), sku).toEqual({ id: product.id, sku: product.sku });
    }
  });

  it('is null for an unknown or archived sku', async () => {
    const product = await createProduct();
    await archive(product.id);
    for (const sku of [product.sku, product.sku.toLowerCase(), uniqueSku('NONE')]) expect(await bySku(sku), sku).toBeNull();
  });
});

// ------------------------------------------------------------------ categories

describe('categories', () => {
  it('are sorted by name', async () => {
    const word = uniqueWord();
    const beta = await createCategory(`${word} Beta`);
    const alpha = await createCategory(`${word} Alpha`);
    const names: string[] = (await supergraph.data(CATEGORIES)).categories.map((category: { name: string }) => category.name);
    expect(names.indexOf(alpha.name)).toBeLessThan(names.indexOf(beta.name));
    const demoNames = Object.keys(demoCatalogue);
    expect(names.filter((name) => demoNames.includes(name))).toEqual([...demoNames].sort());
  });

  it('count the active products of each demo category, in stock or not', async () => {
    const data = await supergraph.data(CATEGORIES);
    for (const [name, items] of Object.entries(demoCatalogue)) {
      expect(data.categories.find((category: { name: string }) => category.name === name)?.productCount, name).toBe(items.length);
    }
  });

  it('count active products only: productCount drops when a product is deleted', async () => {
    const category = await createCategory();
    expect((await categoryCounts()).get(category.id)).toBe(0);
    const first = await createProduct({ categoryId: category.id });
    await createProduct({ categoryId: category.id, stock: 0 });
    expect((await categoryCounts()).get(category.id)).toBe(2);
    await archive(first.id);
    expect((await categoryCounts()).get(category.id)).toBe(1);
  });
});

// ------------------------------------------------------------------ admin-only writes

describe('catalogue writes are for administrators', () => {
  let product: ProductView;
  let other: ProductView;
  let recommended: ProductView;
  const marker = 'INTRUDER';

  beforeAll(async () => {
    product = await createProduct();
    other = await createProduct();
    recommended = await createProduct();
    await supergraph.data(ADD_RECOMMENDATION, { productId: product.id, recommendedProductId: recommended.id }, { token: adminToken });
  });

  /** What an admin would see change if a refused write had slipped through. */
  const catalogueState = () =>
    supergraph.data(
      `query($id: ID!, $search: String!) {
        product(id: $id) { name description price { amount } stock category { id } recommendations { id } }
        categories { id name productCount }
        products(filter: { search: $search }) { totalCount }
      }`,
      { id: product.id, search: marker },
    );

  const writes: Array<[string, () => [string, Record<string, unknown>]]> = [
    ['createCategory', () => [CREATE_CATEGORY, { input: { name: `${marker} category` } }]],
    ['createProduct', () => [CREATE_PRODUCT, { input: { sku: `${marker}-1`, name: 'Intruder', price: '1.00', stock: 1, categoryId: product.category.id } }]],
    ['updateProduct', () => [UPDATE_PRODUCT, { id: product.id, input: { name: 'Hacked', price: '0.01', categoryId: defaultCategoryId } }]],
    ['deleteProduct', () => [DELETE_PRODUCT, { id: product.id }]],
    ['updateStock', () => [UPDATE_STOCK, { productId: product.id, stock: 0 }]],
    ['addRecommendation', () => [ADD_RECOMMENDATION, { productId: product.id, recommendedProductId: other.id }]],
    ['removeRecommendation', () => [REMOVE_RECOMMENDATION, { productId: product.id, recommendedProductId: recommended.id }]],
  ];
  const callers: Array<[string, () => string | undefined, string]> = [
    ['anonymous callers', () => undefined, 'UNAUTHENTICATED'],
    ['signed-in customers', () => customer.token, 'FORBIDDEN'],
  ];

  for (const [mutation, build] of writes) {
    for (const [who, token, code] of callers) {
      it(`refuses ${mutation} from ${who} with ${code} and changes nothing`, async () => {
        const before = await catalogueState();
        const [query, variables] = build();
        const response = await supergraph.request(query, variables, { token: token() });
        expect(response.errors?.map((error) => error.extensions?.code)).toEqual([code]);
        expect(response.data?.[mutation] ?? null).toBeNull();
        expect(await catalogueState()).toEqual(before);
      });
    }
  }
});

// ------------------------------------------------------------------ createCategory

describe('createCategory', () => {
  it('creates a category that is listed with no products', async () => {
    const name = `Preserves ${uniqueWord()}`;
    const category = await createCategory(name);
    expect(category.name).toBe(name);
    const data = await supergraph.data(CATEGORIES);
    expect(data.categories).toContainEqual({ id: category.id, name, productCount: 0 });
  });

  it('refuses a name already taken, in any letter case, with CONFLICT on name', async () => {
    const taken = await createCategory(`Spices ${uniqueWord()}`);
    const before = (await supergraph.data(CATEGORIES)).categories;
    for (const name of [taken.name, taken.name.toUpperCase(), taken.name.toLowerCase(), 'bakery', 'BAKERY']) {
      const data = await supergraph.data(CREATE_CATEGORY, { input: { name } }, { token: adminToken });
      expect(data.createCategory.category, name).toBeNull();
      expect(data.createCategory.userErrors).toEqual([{ code: 'CONFLICT', field: 'name', message: expect.any(String) }]);
    }
    expect((await supergraph.data(CATEGORIES)).categories).toEqual(before);
  });

  it('refuses a blank name with INVALID_INPUT on name', async () => {
    const before = (await supergraph.data(CATEGORIES)).categories;
    for (const name of ['', '   ']) {
      const data = await supergraph.data(CREATE_CATEGORY, { input: { name } }, { token: adminToken });
      expect(data.createCategory).toEqual({ category: null, userErrors: [{ code: 'INVALID_INPUT', field: 'name', message: expect.any(String) }] });
    }
    expect((await supergraph.data(CATEGORIES)).categories).toEqual(before);
  });
});

// ------------------------------------------------------------------ createProduct

describe('createProduct', () => {
  let category: { id: string; name: string };
  beforeAll(async () => {
    category = await createCategory();
  });

  const validInput = () => ({ sku: uniqueSku('NEW'), name: 'Quince Paste', description: 'Membrillo.', price: '7.50', stock: 12, categoryId: category.id });
  const catalogueSize = async () => (await listProducts({ first: 0 })).totalCount;

  it('creates a product and returns it with its category', async () => {
    const input = validInput();
    const data = await supergraph.data(CREATE_PRODUCT, { input }, { token: adminToken });
    expect(data.createProduct.userErrors).toEqual([]);
    const product = data.createProduct.product;
    expect(product).toEqual({
      id: expect.any(String),
      sku: input.sku,
      name: 'Quince Paste',
      description: 'Membrillo.',
      price: { amount: '7.50', currencyCode: 'USD' },
      stock: 12,
      inStock: true,
      category: { id: category.id, name: category.name },
    });
    expect(await findProduct(product.id)).toMatchObject({ ...product, recommendations: [] });
    expect(ids((await listProducts({ filter: { search: input.sku } })).edges.map((edge) => edge.node))).toEqual([product.id]);
  });

  it('creates a product with no description as an empty one, and with no stock as out of stock', async () => {
    const { description: _description, ...input } = validInput();
    const data = await supergraph.data(CREATE_PRODUCT, { input: { ...input, stock: 0 } }, { token: adminToken });
    expect(data.createProduct.product).toMatchObject({ description: '', stock: 0, inStock: false });
  });

  it('accepts a name of exactly 200 characters and an sku of exactly 64', async () => {
    const input = { ...validInput(), name: 'n'.repeat(200), sku: `${uniqueSku('LONG')}-`.padEnd(64, '9') };
    const data = await supergraph.data(CREATE_PRODUCT, { input }, { token: adminToken });
    expect(data.createProduct.userErrors).toEqual([]);
    expect(data.createProduct.product).toMatchObject({ name: input.name, sku: input.sku });
  });

  const invalid: Array<[string, Record<string, unknown>, string]> = [
    ['an sku with a space', { sku: 'BAD SKU' }, 'sku'],
    ['an sku with a symbol', { sku: 'BAD#SKU' }, 'sku'],
    ['an sku starting with a dash', { sku: '-BADSKU' }, 'sku'],
    ['an empty sku', { sku: '' }, 'sku'],
    ['an sku of 65 characters', { sku: 'S'.repeat(65) }, 'sku'],
    ['an empty name', { name: '' }, 'name'],
    ['a blank name', { name: '    ' }, 'name'],
    ['a name of 201 characters', { name: 'n'.repeat(201) }, 'name'],
    ['a description of 5001 characters', { description: 'd'.repeat(5001) }, 'description'],
    ['a negative price', { price: '-1.00' }, 'price'],
    ['a price with three fraction digits', { price: '1.234' }, 'price'],
    ['a non-numeric price', { price: 'abc' }, 'price'],
    ['an empty price', { price: '' }, 'price'],
    ['a price in exponent form', { price: '1e3' }, 'price'],
    ['negative stock', { stock: -1 }, 'stock'],
  ];

  for (const [description, change, field] of invalid) {
    it(`refuses ${description} with INVALID_INPUT on ${field}, creating nothing`, async () => {
      const input = { ...validInput(), ...change };
      const before = await catalogueSize();
      const data = await supergraph.data(CREATE_PRODUCT, { input }, { token: adminToken });
      expect(data.createProduct).toEqual({ product: null, userErrors: [{ code: 'INVALID_INPUT', field, message: expect.any(String) }] });
      expect(await catalogueSize()).toBe(before);
      expect((await listProducts({ filter: { search: 'Quince Paste' } })).edges.every((edge) => edge.node.sku !== input.sku)).toBe(true);
    });
  }

  it('refuses a taken sku with CONFLICT on sku, creating nothing', async () => {
    const existing = await createProduct({ categoryId: category.id });
    const before = await catalogueSize();
    for (const sku of [existing.sku, 'PRD-APPLE-1KG']) {
      const data = await supergraph.data(CREATE_PRODUCT, { input: { ...validInput(), sku } }, { token: adminToken });
      expect(data.createProduct).toEqual({ product: null, userErrors: [{ code: 'CONFLICT', field: 'sku', message: expect.any(String) }] });
    }
    expect(await catalogueSize()).toBe(before);
    expect((await findProduct(existing.id)).name).toBe(existing.name);
  });

  it('refuses an sku taken in another letter case with CONFLICT on sku, saying so, creating nothing', async () => {
    const existing = await createProduct({ categoryId: category.id, sku: `${uniqueSku('CASE')}-Mixed` });
    const before = await catalogueSize();
    for (const sku of [existing.sku.toLowerCase(), existing.sku.toUpperCase(), 'prd-apple-1kg']) {
      const data = await supergraph.data(CREATE_PRODUCT, { input: { ...validInput(), sku } }, { token: adminToken });
      expect(data.createProduct, sku).toEqual({
        product: null,
        userErrors: [{ code: 'CONFLICT', field: 'sku', message: `SKU "${sku}" is already used by another product, in this or another letter case.` }],
      });
    }
    expect(await catalogueSize()).toBe(before);
    expect((await listProducts({ first: 100, filter: { search: existing.sku } })).edges.map((edge) => edge.node.sku)).toEqual([existing.sku]);
  });

  it('refuses the sku of an archived product with CONFLICT', async () => {
    const archived = await createProduct({ categoryId: category.id });
    await archive(archived.id);
    const data = await supergraph.data(CREATE_PRODUCT, { input: { ...validInput(), sku: archived.sku } }, { token: adminToken });
    expect(data.createProduct.userErrors).toEqual([{ code: 'CONFLICT', field: 'sku', message: expect.any(String) }]);
  });

  it('refuses an unknown category with NOT_FOUND on categoryId, creating nothing', async () => {
    const before = await catalogueSize();
    for (const categoryId of [randomUUID(), 'not-a-category']) {
      const data = await supergraph.data(CREATE_PRODUCT, { input: { ...validInput(), categoryId } }, { token: adminToken });
      expect(data.createProduct).toEqual({ product: null, userErrors: [{ code: 'NOT_FOUND', field: 'categoryId', message: expect.any(String) }] });
    }
    expect(await catalogueSize()).toBe(before);
  });

  it('lets exactly one of several concurrent creations with the same sku succeed; the others get CONFLICT', async () => {
    const sku = uniqueSku('RACE');
    const before = await catalogueSize();
    const results = await Promise.all(Array.from({ length: 6 }, (_, index) => supergraph.data(CREATE_PRODUCT, { input: { ...validInput(), sku, name: `Racer ${index}` } }, { token: adminToken })));
    const payloads = results.map((data) => data.createProduct);
    expect(payloads.filter((payload) => payload.product !== null)).toHaveLength(1);
    const refusals = payloads.filter((payload) => payload.product === null);
    expect(refusals).toHaveLength(5);
    for (const refusal of refusals) expect(refusal.userErrors).toEqual([{ code: 'CONFLICT', field: 'sku', message: expect.any(String) }]);
    expect(await catalogueSize()).toBe(before + 1);
    expect((await listProducts({ filter: { search: sku } })).totalCount).toBe(1);
  });

  it('lets exactly one of several concurrent creations of one sku in different letter cases succeed; the others get CONFLICT', async () => {
    const sku = `${uniqueSku('RACE')}-Case`;
    const before = await catalogueSize();
    const variants = [sku, sku.toLowerCase(), sku.toUpperCase(), sku, sku.toLowerCase(), sku.toUpperCase()];
    const results = await Promise.all(variants.map((variant, index) => supergraph.data(CREATE_PRODUCT, { input: { ...validInput(), sku: variant, name: `Racer ${index}` } }, { token: adminToken })));
    const payloads = results.map((data) => data.createProduct);
    expect(payloads.filter((payload) => payload.product !== null)).toHaveLength(1);
    for (const refusal of payloads.filter((payload) => payload.product === null)) {
      expect(refusal.userErrors).toEqual([{ code: 'CONFLICT', field: 'sku', message: expect.stringContaining('in this or another letter case') }]);
    }
    expect(await catalogueSize()).toBe(before + 1);
    expect((await listProducts({ filter: { search: sku } })).totalCount).toBe(1);
  });

  it('accepts a price of exactly 100000000.00, the largest there is', async () => {
    const data = await supergraph.data(CREATE_PRODUCT, { input: { ...validInput(), price: '100000000.00' } }, { token: adminToken });
    expect(data.createProduct.userErrors).toEqual([]);
    expect(data.createProduct.product.price).toEqual({ amount: '100000000.00', currencyCode: 'USD' });
  });

  for (const [price, message] of [
    ['900000000.00', 'Price must be at most 100000000.00.'],
    ['100000000.01', 'Price must be at most 100000000.00.'],
    ['99999999999999999999', 'Price must be at most 100000000.00.'],
    ['-1.00', 'Price must not be negative.'],
    ['1.234', 'Price must have at most two decimal places.'],
    ['12,50', 'Price must be a decimal amount such as "19.99".'],
    ['1e3', 'Price must be a decimal amount such as "19.99".'],
  ] as const) {
    it(`refuses the price "${price}" with INVALID_INPUT on price saying "${message}", creating nothing`, async () => {
      const before = await catalogueSize();
      const data = await supergraph.data(CREATE_PRODUCT, { input: { ...validInput(), price } }, { token: adminToken });
      expect(data.createProduct).toEqual({ product: null, userErrors: [{ code: 'INVALID_INPUT', field: 'price', message }] });
      expect(await catalogueSize()).toBe(before);
    });
  }

  it('lets exactly one of several concurrent creations of a category name succeed, whatever the letter case', async () => {
    const name = `Racing ${uniqueWord()}`;
    const results = await Promise.all([name, name.toUpperCase(), name.toLowerCase(), name].map((variant) => supergraph.data(CREATE_CATEGORY, { input: { name: variant } }, { token: adminToken })));
    const payloads = results.map((data) => data.createCategory);
    expect(payloads.filter((payload) => payload.category !== null)).toHaveLength(1);
    for (const refusal of payloads.filter((payload) => payload.category === null)) {
      expect(refusal.userErrors).toEqual([{ code: 'CONFLICT', field: 'name', message: expect.any(String) }]);
    }
    const names: string[] = (await supergraph.data(CATEGORIES)).categories.map((category: { name: string }) => category.name.toLowerCase());
    expect(names.filter((candidate) => candidate === name.toLowerCase())).toHaveLength(1);
  });
});

// ------------------------------------------------------------------ updateProduct

describe('updateProduct', () => {
  let product: ProductView;
  let category: { id: string; name: string };

  beforeAll(async () => {
    category = await createCategory();
    product = await createProduct({ name: 'Rye Crispbread', description: 'Thin and dry.', price: '2.80', stock: 6 });
  });

  const update = async (id: string, input: Record<string, unknown>) => (await supergraph.data(UPDATE_PRODUCT, { id, input }, { token: adminToken })).updateProduct;
  /** The product as a shopper sees it, to show that a refused update changed nothing. */
  const current = async () => {
    const found = await findProduct(product.id);
    expect(found).not.toBeNull();
    return found;
  };

  it('changes only the fields given and keeps the others', async () => {
    const crackers = await createProduct({ name: 'Plain Crackers', description: 'Crisp.', price: '3.20', stock: 9 });
    const { recommendations: _recommendations, inStock: _inStock, ...original } = await findProduct(crackers.id);

    expect((await update(crackers.id, { name: 'Seeded Crackers' })).product).toEqual({ ...original, name: 'Seeded Crackers' });
    expect((await update(crackers.id, { price: '3.5' })).product).toEqual({ ...original, name: 'Seeded Crackers', price: { amount: '3.50', currencyCode: 'USD' } });
    expect((await update(crackers.id, { description: '' })).product).toEqual({ ...original, name: 'Seeded Crackers', price: { amount: '3.50', currencyCode: 'USD' }, description: '' });
    const moved = await update(crackers.id, { categoryId: category.id, name: null });
    expect(moved).toEqual({
      product: { ...original, name: 'Seeded Crackers', price: { amount: '3.50', currencyCode: 'USD' }, description: '', category: { id: category.id, name: category.name } },
      userErrors: [],
    });
    expect(await findProduct(crackers.id)).toMatchObject({ sku: crackers.sku, stock: 9, name: 'Seeded Crackers', category: { id: category.id } });
  });

  it('moves the product between categories as seen in productCount and the categoryId filter', async () => {
    const from = await createCategory();
    const moving = await createProduct({ categoryId: from.id });
    await update(moving.id, { categoryId: category.id });
    const counts = await categoryCounts();
    expect(counts.get(from.id)).toBe(0);
    expect(ids((await listProducts({ filter: { categoryId: category.id } })).edges.map((edge) => edge.node))).toContain(moving.id);
  });

  for (const [description, input, field] of [
    ['an invalid price', { price: '1.234' }, 'price'],
    ['a negative price', { price: '-1.00' }, 'price'],
    ['a non-numeric price', { price: 'abc' }, 'price'],
    ['a blank name', { name: '  ' }, 'name'],
    ['a name of 201 characters', { name: 'x'.repeat(201) }, 'name'],
  ] as const) {
    it(`refuses ${description} with INVALID_INPUT on ${field} and changes nothing`, async () => {
      const before = await current();
      const payload = await update(product.id, { description: 'Should not be saved.', ...input });
      expect(payload).toEqual({ product: null, userErrors: [{ code: 'INVALID_INPUT', field, message: expect.any(String) }] });
      expect(await current()).toEqual(before);
    });
  }

  it('refuses a price above the maximum with INVALID_INPUT on price, stating the maximum, and changes nothing', async () => {
    const before = await current();
    const payload = await update(product.id, { price: '900000000.00', name: 'Should not be saved' });
    expect(payload).toEqual({ product: null, userErrors: [{ code: 'INVALID_INPUT', field: 'price', message: 'Price must be at most 100000000.00.' }] });
    expect(await current()).toEqual(before);
  });

  it('refuses an unknown category with NOT_FOUND on categoryId and changes nothing', async () => {
    const before = await current();
    const payload = await update(product.id, { categoryId: randomUUID(), name: 'Should not be saved' });
    expect(payload).toEqual({ product: null, userErrors: [{ code: 'NOT_FOUND', field: 'categoryId', message: expect.any(String) }] });
    expect(await current()).toEqual(before);
  });

  it('refuses an unknown, malformed or archived product with NOT_FOUND', async () => {
    const archived = await createProduct();
    await archive(archived.id);
    for (const id of [randomUUID(), 'not-a-product', archived.id]) {
      const payload = await update(id, { name: 'Ghost' });
      expect(payload.product, id).toBeNull();
      expect(payload.userErrors).toEqual([{ code: 'NOT_FOUND', field: 'id', message: expect.any(String) }]);
    }
  });
});

// ------------------------------------------------------------------ deleteProduct

describe('deleteProduct', () => {
  it('archives the product: it leaves products and product(id)', async () => {
    const product = await createProduct();
    const data = await supergraph.data(DELETE_PRODUCT, { id: product.id }, { token: adminToken });
    expect(data.deleteProduct).toEqual({ deletedId: product.id, userErrors: [] });
    expect(await findProduct(product.id)).toBeNull();
    expect((await listProducts({ filter: { search: product.sku } })).totalCount).toBe(0);
    const { nodes } = await walkAllPages({ filter: { categoryId: product.category.id } }, 100);
    expect(ids(nodes)).not.toContain(product.id);
  });

  it('cannot delete a product twice, or one that does not exist: NOT_FOUND', async () => {
    const product = await createProduct();
    await archive(product.id);
    for (const id of [product.id, randomUUID(), 'not-a-product']) {
      const data = await supergraph.data(DELETE_PRODUCT, { id }, { token: adminToken });
      expect(data.deleteProduct, id).toEqual({ deletedId: null, userErrors: [{ code: 'NOT_FOUND', field: 'id', message: expect.any(String) }] });
    }
  });

  it('still resolves the archived product for a cart that held it', async () => {
    const shopper = await supergraph.registerCustomer();
    const product = await createProduct({ name: 'Discontinued Marmalade', price: '4.20' });
    const added = await supergraph.data(ADD_TO_CART, { input: { productId: product.id, quantity: 2 } }, { token: shopper.token });
    expect(added.addToCart.userErrors).toEqual([]);
    await archive(product.id);

    const data = await supergraph.data(`{ cart { items { quantity product { id name } } } }`, {}, { token: shopper.token });
    expect(data.cart.items).toEqual([{ quantity: 2, product: { id: product.id, name: 'Discontinued Marmalade' } }]);
  });

  it('stops an archived product from being added to a cart: NOT_FOUND', async () => {
    const shopper = await supergraph.registerCustomer();
    const product = await createProduct();
    await archive(product.id);
    const data = await supergraph.data(ADD_TO_CART, { input: { productId: product.id, quantity: 1 } }, { token: shopper.token });
    expect(data.addToCart.cart).toBeNull();
    expect(data.addToCart.userErrors).toEqual([expect.objectContaining({ code: 'NOT_FOUND' })]);
    expect((await supergraph.data(`{ cart { items { id } } }`, {}, { token: shopper.token })).cart.items).toEqual([]);
  });

  it('stops stock changes and recommendations of an archived product: NOT_FOUND', async () => {
    const product = await createProduct();
    const other = await createProduct();
    await archive(product.id);
    const stock = await supergraph.data(UPDATE_STOCK, { productId: product.id, stock: 5 }, { token: adminToken });
    expect(stock.updateStock).toEqual({ product: null, userErrors: [{ code: 'NOT_FOUND', field: 'productId', message: expect.any(String) }] });
    const recommend = await supergraph.data(ADD_RECOMMENDATION, { productId: other.id, recommendedProductId: product.id }, { token: adminToken });
    expect(recommend.addRecommendation.userErrors).toEqual([expect.objectContaining({ code: 'NOT_FOUND', field: 'recommendedProductId' })]);
  });
});

// ------------------------------------------------------------------ updateStock

describe('updateStock', () => {
  const setStock = async (productId: string, stock: number) => (await supergraph.data(UPDATE_STOCK, { productId, stock }, { token: adminToken })).updateStock;

  it('sets the stock, and inStock with it', async () => {
    const product = await createProduct({ stock: 3 });
    expect(await setStock(product.id, 40)).toEqual({ product: { id: product.id, stock: 40, inStock: true }, userErrors: [] });
    expect(await findProduct(product.id)).toMatchObject({ stock: 40, inStock: true });
  });

  it('marks a product with stock 0 as out of stock, in product(id) and in the inStock filter', async () => {
    const product = await createProduct({ stock: 3 });
    expect(await setStock(product.id, 0)).toEqual({ product: { id: product.id, stock: 0, inStock: false }, userErrors: [] });
    expect(await findProduct(product.id)).toMatchObject({ stock: 0, inStock: false });
    const filter = { categoryId: product.category.id };
    expect(ids((await listProducts({ first: 100, filter: { ...filter, inStock: false } })).edges.map((edge) => edge.node))).toContain(product.id);
    expect(ids((await listProducts({ first: 100, filter: { ...filter, inStock: true } })).edges.map((edge) => edge.node))).not.toContain(product.id);
  });

  it('refuses a negative stock with INVALID_INPUT on stock and changes nothing', async () => {
    const product = await createProduct({ stock: 7 });
    expect(await setStock(product.id, -1)).toEqual({ product: null, userErrors: [{ code: 'INVALID_INPUT', field: 'stock', message: expect.any(String) }] });
    expect(await findProduct(product.id)).toMatchObject({ stock: 7, inStock: true });
  });

  it('refuses an unknown product with NOT_FOUND', async () => {
    for (const productId of [randomUUID(), 'not-a-product']) {
      expect(await setStock(productId, 1)).toEqual({ product: null, userErrors: [{ code: 'NOT_FOUND', field: 'productId', message: expect.any(String) }] });
    }
  });
});

// ------------------------------------------------------------------ recommendations

describe('recommendations', () => {
  const recommend = async (productId: string, recommendedProductId: string) =>
    (await supergraph.data(ADD_RECOMMENDATION, { productId, recommendedProductId }, { token: adminToken })).addRecommendation;
  const unrecommend = async (productId: string, recommendedProductId: string) =>
    (await supergraph.data(REMOVE_RECOMMENDATION, { productId, recommendedProductId }, { token: adminToken })).removeRecommendation;
  const recommendationsOf = async (id: string) => ids((await findProduct(id)).recommendations);

  it('adds a recommendation, and adding it again changes nothing', async () => {
    const product = await createProduct();
    const partner = await createProduct();
    expect(await recommend(product.id, partner.id)).toEqual({ product: { id: product.id, recommendations: [{ id: partner.id }] }, userErrors: [] });
    expect(await recommend(product.id, partner.id)).toEqual({ product: { id: product.id, recommendations: [{ id: partner.id }] }, userErrors: [] });
    expect(await recommendationsOf(product.id)).toEqual([partner.id]);
    // Recommending is one way.
    expect(await recommendationsOf(partner.id)).toEqual([]);
  });

  it('lists several recommendations, each once', async () => {
    const product = await createProduct();
    const partners = [await createProduct(), await createProduct(), await createProduct()];
    await Promise.all(partners.map((partner) => recommend(product.id, partner.id)));
    await Promise.all(partners.map((partner) => recommend(product.id, partner.id)));
    expect((await recommendationsOf(product.id)).sort()).toEqual(ids(partners).sort());
  });

  it('refuses a product recommending itself with INVALID_INPUT', async () => {
    const product = await createProduct();
    const payload = await recommend(product.id, product.id);
    expect(payload.product).toBeNull();
    expect(payload.userErrors).toEqual([expect.objectContaining({ code: 'INVALID_INPUT' })]);
    expect(await recommendationsOf(product.id)).toEqual([]);
  });

  it('refuses an unknown product on either side with NOT_FOUND', async () => {
    const product = await createProduct();
    expect(await recommend(product.id, randomUUID())).toEqual({ product: null, userErrors: [{ code: 'NOT_FOUND', field: 'recommendedProductId', message: expect.any(String) }] });
    expect(await recommend(randomUUID(), product.id)).toEqual({ product: null, userErrors: [{ code: 'NOT_FOUND', field: 'productId', message: expect.any(String) }] });
    expect(await recommend(product.id, 'not-a-product')).toMatchObject({ product: null, userErrors: [{ code: 'NOT_FOUND' }] });
    expect(await recommendationsOf(product.id)).toEqual([]);
  });

  it('removes a recommendation', async () => {
    const product = await createProduct();
    const kept = await createProduct();
    const dropped = await createProduct();
    await recommend(product.id, kept.id);
    await recommend(product.id, dropped.id);
    expect(await unrecommend(product.id, dropped.id)).toEqual({ product: { id: product.id, recommendations: [{ id: kept.id }] }, userErrors: [] });
    expect(await recommendationsOf(product.id)).toEqual([kept.id]);
  });

  it('leaves archived products out', async () => {
    const product = await createProduct();
    const kept = await createProduct();
    const archived = await createProduct();
    await recommend(product.id, kept.id);
    await recommend(product.id, archived.id);
    expect((await recommendationsOf(product.id)).sort()).toEqual([kept.id, archived.id].sort());
    await archive(archived.id);
    expect(await recommendationsOf(product.id)).toEqual([kept.id]);
    const listed = await listProducts({ filter: { search: product.sku } });
    expect(listed.edges).toHaveLength(1);
    const withRecommendations = await supergraph.data(`query($search: String) { products(filter: { search: $search }) { nodes { recommendations { id } } } }`, { search: product.sku });
    expect(withRecommendations.products.nodes).toEqual([{ recommendations: [{ id: kept.id }] }]);
  });
});

// ------------------------------------------------------------------ cost in SQL statements

describe('SQL statements per query (N+1 guard)', () => {
  const PAGE_WITH_CHILDREN = /* GraphQL */ `
    query ($first: Int) {
      products(first: $first) {
        edges {
          node {
            id
            category {
              name
            }
            recommendations {
              name
            }
          }
        }
      }
    }
  `;

  /** The statements the products subgraph sent for one request, leaving out the driver's type lookup on a new connection. */
  const statementsFor = async (query: string, variables: Record<string, unknown>, token?: string) => {
    supergraph.statements.products.reset();
    const data = await supergraph.data(query, variables, { token });
    const statements = supergraph.statements.products.statements.filter((statement) => !statement.includes('pg_catalog'));
    return { data, count: statements.length, statements };
  };

  it('lists a page of products with categories and recommendations in the same few statements for 5 or 50', async () => {
    const small = await statementsFor(PAGE_WITH_CHILDREN, { first: 5 });
    const large = await statementsFor(PAGE_WITH_CHILDREN, { first: 50 });
    expect(small.data.products.edges).toHaveLength(5);
    expect(large.data.products.edges).toHaveLength(50);
    const recommending = large.data.products.edges.filter((edge: { node: { recommendations: unknown[] } }) => edge.node.recommendations.length > 0);
    expect(recommending.length).toBeGreaterThan(20);
    expect(large.count, `${small.statements.join('\n')}\n---\n${large.statements.join('\n')}`).toBe(small.count);
    // One for the page with its products' categories, one for its recommendations.
    expect(large.count, large.statements.join('\n')).toBeLessThanOrEqual(2);
    expect(large.data.products.edges.every((edge: { node: { category: { name: string } } }) => edge.node.category.name.length > 0)).toBe(true);
  });

  it('lists categories with their product counts in the same two statements, however many there are', async () => {
    const before = await statementsFor(CATEGORIES, {});
    for (let index = 0; index < 3; index += 1) await createProduct({ categoryId: (await createCategory()).id });
    const after = await statementsFor(CATEGORIES, {});
    expect(after.data.categories.length).toBe(before.data.categories.length + 3);
    expect(after.count, after.statements.join('\n')).toBe(before.count);
    // One for the categories, one for all of their counts.
    expect(after.count, after.statements.join('\n')).toBeLessThanOrEqual(2);
  });

  it('resolves every product of a cart through _entities in one statement', async () => {
    const shopper = await supergraph.registerCustomer();
    const products = [await createProduct(), await createProduct(), await createProduct(), await createProduct()];
    for (const product of products) {
      const added = await supergraph.data(ADD_TO_CART, { input: { productId: product.id, quantity: 1 } }, { token: shopper.token });
      expect(added.addToCart.userErrors).toEqual([]);
    }
    await archive(products[3]!.id);

    const { data, count, statements } = await statementsFor(`{ cart { items { product { id name } } } }`, {}, shopper.token);
    expect(data.cart.items.map((item: { product: { id: string; name: string } }) => item.product).sort(byId)).toEqual(products.map((product) => ({ id: product.id, name: product.name })).sort(byId));
    expect(count, statements.join('\n')).toBe(1);
  });
});
