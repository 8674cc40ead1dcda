import { randomUUID } from 'node:crypto';
import { print } from 'graphql';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DeleteReviewDocument, MyReviewsDocument, ProductReviewsDocument, WriteReviewDocument } from '@greencart/client';
import { createSubgraphClient } from '@greencart/platform';
import { TEST_CARDS, paymentTools, type Customer, type PaymentTools } from './support/payment-operations.js';
import { startSupergraph, type TestSupergraph } from './support/supergraph.js';

// Reviews as the contract's "Reviews" section promises, through the gateway onto the reviews
// subgraph (its own database), which asks orders whether the customer bought the product and
// products whether it is on sale; authors' short names come from accounts.

const PRODUCT_REVIEWS = print(ProductReviewsDocument);
const MY_REVIEWS = print(MyReviewsDocument);
const WRITE_REVIEW = print(WriteReviewDocument);
const DELETE_REVIEW = print(DeleteReviewDocument);

interface ReviewView {
  id: string;
  rating: number;
  title: string;
  body: string;
  author: { name: string };
  createdAt: string;
  updatedAt: string;
}
interface RatingView {
  average: number | null;
  count: number;
  distribution: Array<{ stars: number; count: number }>;
}
interface ProductReviewsView {
  id: string;
  rating: RatingView;
  reviews: { totalCount: number; pageInfo: { hasNextPage: boolean; endCursor: string | null }; edges: Array<{ cursor: string; node: ReviewView }> };
}
interface WritePayload {
  review: (ReviewView & { product: { id: string; rating: { average: number | null; count: number } } }) | null;
  userErrors: Array<{ field: string | null; message: string; code: string }>;
}

let supergraph: TestSupergraph;
let tools: PaymentTools;

beforeAll(async () => {
  supergraph = await startSupergraph({ seedCatalogue: false });
  tools = await paymentTools(supergraph);
});
afterAll(() => supergraph?.stop());

const review = (overrides: Partial<{ rating: number; title: string; body: string }> = {}) => ({
  rating: 4,
  title: 'Good value',
  body: 'Arrived quickly.\nWould buy again.',
  ...overrides,
});

async function writeReview(token: string | undefined, productId: string, input = review()) {
  return (await supergraph.data<{ writeReview: WritePayload }>(WRITE_REVIEW, { input: { productId, ...input } }, { token })).writeReview;
}

async function productReviews(id: string, variables: { first?: number; after?: string | null } = {}): Promise<ProductReviewsView> {
  return (await supergraph.data<{ product: ProductReviewsView }>(PRODUCT_REVIEWS, { id, ...variables })).product;
}

async function deleteReview(token: string, id: string) {
  return (await supergraph.data<{ deleteReview: { userErrors: Array<{ code: string; field: string | null }> } }>(DELETE_REVIEW, { id }, { token })).deleteReview;
}

/** A new customer (named `name`) who ordered the product and paid for it. */
async function buyer(productId: string, name?: string): Promise<Customer> {
  const customer = await supergraph.registerCustomer(name ? { name } : {});
  const order = await tools.placeOrder(customer.token, [{ productId, quantity: 1 }]);
  const card = await tools.addCard(customer.token, TEST_CARDS.visa);
  expect((await tools.payOrder(customer.token, order.id, card)).userErrors).toEqual([]);
  return customer;
}

const stars = (distribution: Record<number, number>) => [5, 4, 3, 2, 1].map((count) => ({ stars: count, count: distribution[count] ?? 0 }));

describe('a product without reviews', () => {
  it('has no average, a count of 0, all five star counts at 0, and an empty first page', async () => {
    const product = await tools.createProduct({ price: '3.00' });
    expect(await productReviews(product.id)).toEqual({
      id: product.id,
      rating: { average: null, count: 0, distribution: stars({}) },
      reviews: { totalCount: 0, pageInfo: { hasNextPage: false, endCursor: null }, edges: [] },
    });
  });
});

describe('writeReview', () => {
  it('needs sign-in (UNAUTHENTICATED)', async () => {
    const product = await tools.createProduct({ price: '3.00' });
    const response = await supergraph.request(WRITE_REVIEW, { input: { productId: product.id, ...review() } });
    expect(response.errors?.map((error) => error.extensions?.code)).toEqual(['UNAUTHENTICATED']);
    expect((await productReviews(product.id)).rating.count).toBe(0);
  });

  it('is NOT_PURCHASED without an order, with an unpaid order and with a cancelled one, and writes nothing', async () => {
    const product = await tools.createProduct({ price: '4.00' });
    const stranger = await supergraph.registerCustomer();
    const unpaid = await supergraph.registerCustomer();
    await tools.placeOrder(unpaid.token, [{ productId: product.id, quantity: 1 }]);
    const cancelled = await buyer(product.id);
    const [order] = (await supergraph.data(`{ orders(first: 1) { edges { node { id } } } }`, {}, { token: cancelled.token })).orders.edges;
    expect((await tools.cancelOrder(cancelled.token, order.node.id)).userErrors).toEqual([]);
    for (const customer of [stranger, unpaid, cancelled]) {
      const payload = await writeReview(customer.token, product.id);
      expect(payload.review).toBeNull();
      expect(payload.userErrors).toEqual([{ code: 'NOT_PURCHASED', field: 'input.productId', message: expect.stringMatching(/bought/) }]);
    }
    expect((await productReviews(product.id)).rating.count).toBe(0);
  });

  it('takes the review of a paid order, shows the author as "first name, last initial" and counts it at once', async () => {
    const product = await tools.createProduct({ price: '5.00' });
    const ann = await buyer(product.id, 'Ann Marie Lee');
    const payload = await writeReview(ann.token, product.id, review({ rating: 5, title: '  Lovely  ', body: 'Fresh every time.\n\tRecommended.' }));
    expect(payload.userErrors).toEqual([]);
    expect(payload.review).toMatchObject({
      rating: 5,
      title: 'Lovely',
      body: 'Fresh every time.\n\tRecommended.',
      author: { name: 'Ann L.' },
      product: { id: product.id, rating: { average: 5, count: 1 } },
    });
    expect(payload.review!.createdAt).toBe(payload.review!.updatedAt);
    const read = await productReviews(product.id);
    expect(read.rating).toEqual({ average: 5, count: 1, distribution: stars({ 5: 1 }) });
    const { product: _, ...written } = payload.review!;
    expect(read.reviews.edges.map((edge) => edge.node)).toEqual([written]);
    // The author shows neither email nor id: the type has nothing else to ask for.
    const asked = await supergraph.request(`query($id: ID!) { product(id: $id) { reviews { edges { node { author { id } } } } } }`, { id: product.id });
    expect(asked.errors?.[0]?.extensions?.code).toBe('GRAPHQL_VALIDATION_FAILED');
    expect(JSON.stringify(read)).not.toContain(ann.email);
    expect(JSON.stringify(read)).not.toContain(ann.id);
  });

  it("replaces the customer's review when they write again: same id and createdAt, new updatedAt, still one review", async () => {
    const product = await tools.createProduct({ price: '6.00' });
    const customer = await buyer(product.id, 'Bo');
    const first = (await writeReview(customer.token, product.id, review({ rating: 2, title: 'Meh' }))).review!;
    const second = await writeReview(customer.token, product.id, review({ rating: 5, title: 'Grew on me' }));
    expect(second.userErrors).toEqual([]);
    expect(second.review).toMatchObject({ id: first.id, createdAt: first.createdAt, rating: 5, title: 'Grew on me', author: { name: 'Bo' } });
    expect(Date.parse(second.review!.updatedAt)).toBeGreaterThan(Date.parse(first.updatedAt));
    const read = await productReviews(product.id);
    expect(read.rating).toEqual({ average: 5, count: 1, distribution: stars({ 5: 1 }) });
    expect(read.reviews.edges.map((edge) => edge.node.id)).toEqual([first.id]);
  });

  it.each([
    ['a rating of 0', { rating: 0 }, 'input.rating'],
    ['a rating of 6', { rating: 6 }, 'input.rating'],
    ['an empty title', { title: '' }, 'input.title'],
    ['a title of 121 characters', { title: 'x'.repeat(121) }, 'input.title'],
    ['a title on two lines', { title: 'Good\nvalue' }, 'input.title'],
    ['an empty body', { body: '   ' }, 'input.body'],
    ['a body of 5,001 characters', { body: 'x'.repeat(5001) }, 'input.body'],
    ['an escape sequence in the body', { body: 'Good \u001B[31mvalue' }, 'input.body'],
    ['a bidirectional override in the title', { title: 'Good \u202Eeulav' }, 'input.title'],
  ])('refuses %s with INVALID_INPUT on %s, writing nothing', async (_, change, field) => {
    const product = await tools.createProduct({ price: '2.00' });
    const customer = await buyer(product.id);
    const payload = await writeReview(customer.token, product.id, review(change));
    expect(payload).toEqual({ review: null, userErrors: [{ code: 'INVALID_INPUT', field, message: expect.any(String) }] });
    expect((await productReviews(product.id)).rating.count).toBe(0);
  });

  it('accepts the longest title and body (5,000 characters, emoji counting once)', async () => {
    const product = await tools.createProduct({ price: '2.00' });
    const customer = await buyer(product.id);
    const payload = await writeReview(customer.token, product.id, review({ title: 'é'.repeat(120), body: '🍞'.repeat(5000) }));
    expect(payload.userErrors).toEqual([]);
    expect(Array.from(payload.review!.body)).toHaveLength(5000);
  });

  it('is NOT_FOUND for an unknown product, an id that is no product id, and an archived product the customer bought', async () => {
    const product = await tools.createProduct({ price: '7.00' });
    const customer = await buyer(product.id);
    for (const productId of [randomUUID(), 'not-a-product']) {
      expect((await writeReview(customer.token, productId)).userErrors).toEqual([{ code: 'NOT_FOUND', field: 'input.productId', message: expect.any(String) }]);
    }
    const archived = await supergraph.data(`mutation($id: ID!) { deleteProduct(id: $id) { deletedId userErrors { code } } }`, { id: product.id }, { token: tools.adminToken });
    expect(archived.deleteProduct.userErrors).toEqual([]);
    expect((await writeReview(customer.token, product.id)).userErrors).toEqual([{ code: 'NOT_FOUND', field: 'input.productId', message: expect.any(String) }]);
  });
});

describe('deleteReview', () => {
  it('deletes for its author and for an admin; anyone else gets NOT_FOUND and the review stays; the rating follows at once', async () => {
    const product = await tools.createProduct({ price: '8.00' });
    const [author, other] = await Promise.all([buyer(product.id), buyer(product.id)]);
    const mine = (await writeReview(author.token, product.id, review({ rating: 1 }))).review!;
    const theirs = (await writeReview(other.token, product.id, review({ rating: 5 }))).review!;
    expect((await productReviews(product.id)).rating).toMatchObject({ average: 3, count: 2 });

    expect((await deleteReview(other.token, mine.id)).userErrors).toEqual([{ code: 'NOT_FOUND', field: 'id', message: expect.any(String) }]);
    expect((await deleteReview(other.token, 'no-such-id')).userErrors.map((error) => error.code)).toEqual(['NOT_FOUND']);
    expect((await productReviews(product.id)).rating.count).toBe(2);

    expect(await deleteReview(author.token, mine.id)).toEqual({ userErrors: [] });
    expect((await productReviews(product.id)).rating).toEqual({ average: 5, count: 1, distribution: stars({ 5: 1 }) });
    expect((await deleteReview(author.token, mine.id)).userErrors.map((error) => error.code)).toEqual(['NOT_FOUND']);

    expect(await deleteReview(tools.adminToken, theirs.id)).toEqual({ userErrors: [] });
    const after = await productReviews(product.id);
    expect(after.rating).toEqual({ average: null, count: 0, distribution: stars({}) });
    expect(after.reviews.edges).toEqual([]);
  });

  it('needs sign-in (UNAUTHENTICATED)', async () => {
    const response = await supergraph.request(DELETE_REVIEW, { id: randomUUID() });
    expect(response.errors?.map((error) => error.extensions?.code)).toEqual(['UNAUTHENTICATED']);
  });
});

describe('rating', () => {
  it('counts every star, lists all five from 5 down, and averages to one decimal', async () => {
    const product = await tools.createProduct({ price: '9.00' });
    const given = [5, 5, 4, 2, 1, 4];
    const buyers = await Promise.all(given.map(() => buyer(product.id)));
    for (const [index, customer] of buyers.entries()) expect((await writeReview(customer.token, product.id, review({ rating: given[index] }))).userErrors).toEqual([]);
    // 21 / 6 = 3.5
    expect((await productReviews(product.id)).rating).toEqual({ average: 3.5, count: 6, distribution: stars({ 5: 2, 4: 2, 2: 1, 1: 1 }) });
  });

  it('stays exact when 40 customers review the same product at once, and one customer writing 10 times at once keeps one review', async () => {
    const product = await tools.createProduct({ price: '1.50', stock: 100 });
    const buyers: Customer[] = [];
    for (let batch = 0; batch < 4; batch += 1) buyers.push(...(await Promise.all(Array.from({ length: 10 }, () => buyer(product.id)))));
    // 13 × 5, 14 × 4, 6 × 3, 4 × 2, 3 × 1: 150 stars over 40, 3.75, shown as 3.8.
    const given = buyers.map((_, index) => (index < 13 ? 5 : index < 27 ? 4 : index < 33 ? 3 : index < 37 ? 2 : 1));
    const results = await Promise.all(buyers.map((customer, index) => writeReview(customer.token, product.id, review({ rating: given[index] }))));
    expect(results.flatMap((result) => result.userErrors)).toEqual([]);
    const total = given.reduce((sum, value) => sum + value, 0);
    expect(total).toBe(150);
    const expected = 3.8;
    const counts = Object.fromEntries([1, 2, 3, 4, 5].map((value) => [value, given.filter((star) => star === value).length]));
    const read = await productReviews(product.id, { first: 100 });
    console.info(`40 concurrent reviews: ${read.rating.count} counted, average ${read.rating.average} (expected ${expected})`);
    expect(read.rating).toEqual({ average: expected, count: 40, distribution: stars(counts) });
    expect(read.reviews.totalCount).toBe(40);

    const again = await Promise.all(Array.from({ length: 10 }, (_, index) => writeReview(buyers[0]!.token, product.id, review({ rating: (index % 5) + 1, title: `Take ${index}` }))));
    expect(again.flatMap((result) => result.userErrors)).toEqual([]);
    expect(new Set(again.map((result) => result.review!.id)).size).toBe(1);
    const after = await productReviews(product.id, { first: 100 });
    expect(after.rating.count).toBe(40);
    expect(after.reviews.edges.filter((edge) => edge.node.title.startsWith('Take '))).toHaveLength(1);
  });

  it('costs reviews one statement for a page of 20 products', async () => {
    const category = await supergraph.data(
      `mutation($input: CreateCategoryInput!) { createCategory(input: $input) { category { id } } }`,
      { input: { name: `Rated ${randomUUID().slice(0, 8)}` } },
      { token: tools.adminToken },
    );
    const categoryId = category.createCategory.category.id;
    for (let index = 0; index < 20; index += 1) {
      await supergraph.data(
        `mutation($input: CreateProductInput!) { createProduct(input: $input) { userErrors { code } } }`,
        { input: { sku: `RATE-${index}-${randomUUID().slice(0, 6)}`.toUpperCase(), name: `Rated ${index}`, description: 'x', price: '1.00', stock: 5, categoryId } },
        { token: tools.adminToken },
      );
    }
    supergraph.statements.reviews.reset();
    const page = await supergraph.data(`query($filter: ProductFilter) { products(first: 20, filter: $filter) { edges { node { id rating { average count distribution { stars count } } } } } }`, {
      filter: { categoryId },
    });
    expect(page.products.edges).toHaveLength(20);
    expect(supergraph.statements.reviews.applicationCount).toBe(1);
  });
});

describe('paging', () => {
  it("pages a product's reviews newest first by keyset, each once, and refuses a cursor it did not give", async () => {
    const product = await tools.createProduct({ price: '3.50' });
    const written: string[] = [];
    for (let index = 0; index < 7; index += 1) {
      const customer = await buyer(product.id);
      written.push((await writeReview(customer.token, product.id, review({ title: `Review ${index}` }))).review!.id);
    }
    const seen: string[] = [];
    let after: string | null = null;
    let pages = 0;
    for (;;) {
      const page: ProductReviewsView = await productReviews(product.id, { first: 3, after });
      pages += 1;
      expect(page.reviews.totalCount).toBe(7);
      seen.push(...page.reviews.edges.map((edge) => edge.node.id));
      expect(page.reviews.pageInfo.endCursor).toBe(page.reviews.edges.at(-1)?.cursor ?? null);
      if (!page.reviews.pageInfo.hasNextPage) break;
      after = page.reviews.pageInfo.endCursor;
    }
    expect(pages).toBe(3);
    expect(seen).toEqual([...written].reverse());

    const bad = await supergraph.request(PRODUCT_REVIEWS, { id: product.id, first: 3, after: 'not-a-cursor' });
    expect(bad.errors?.map((error) => error.extensions?.code)).toEqual(['BAD_USER_INPUT']);
    const tooMany = await supergraph.request(PRODUCT_REVIEWS, { id: product.id, first: 101 });
    expect(tooMany.errors?.map((error) => error.extensions?.code)).toEqual(['BAD_USER_INPUT']);
  });
});

describe("a customer's reviews", () => {
  it('lists their own with the product (MyReviews); an admin reads them through an order; nobody else can', async () => {
    const [bread, jam] = await Promise.all([tools.createProduct({ price: '3.00', name: 'Rye bread' }), tools.createProduct({ price: '4.00', name: 'Plum jam' })]);
    const customer = await supergraph.registerCustomer({ name: 'Cleo Park' });
    const order = await tools.placeOrder(customer.token, [
      { productId: bread.id, quantity: 1 },
      { productId: jam.id, quantity: 1 },
    ]);
    expect((await tools.payOrder(customer.token, order.id, await tools.addCard(customer.token, TEST_CARDS.visa))).userErrors).toEqual([]);
    await writeReview(customer.token, bread.id, review({ title: 'Bread' }));
    await writeReview(customer.token, jam.id, review({ title: 'Jam' }));

    const mine = await supergraph.data(MY_REVIEWS, {}, { token: customer.token });
    expect(mine.me.reviews.totalCount).toBe(2);
    expect(mine.me.reviews.edges.map((edge: { node: { title: string; product: { name: string } } }) => [edge.node.title, edge.node.product.name])).toEqual([
      ['Jam', 'Plum jam'],
      ['Bread', 'Rye bread'],
    ]);

    const byOrder = `query($id: ID!) { order(id: $id) { customer { reviews { totalCount } } } }`;
    expect((await supergraph.data(byOrder, { id: order.id }, { token: tools.adminToken })).order.customer.reviews.totalCount).toBe(2);
    const other = await supergraph.registerCustomer();
    expect((await supergraph.data(byOrder, { id: order.id }, { token: other.token })).order).toBeNull();
  });
});

describe('who may ask orders what a customer bought', () => {
  it("answers reviews' service token, refuses the gateway's, and is not in the public schema", async () => {
    const product = await tools.createProduct({ price: '2.50' });
    const customer = await buyer(product.id);
    const query = `query($customerIds: [ID!]!) { purchases(customerIds: $customerIds) { customerId productId delivered } }`;
    const asReviews = createSubgraphClient({ name: 'orders', url: supergraph.subgraphUrls.orders, credentials: supergraph.serviceCredentials('reviews'), timeoutMs: 5_000 });
    expect(await asReviews.request(query, { customerIds: [customer.id] })).toEqual({ purchases: [{ customerId: customer.id, productId: product.id, delivered: false }] });
    const asGateway = createSubgraphClient({ name: 'orders', url: supergraph.subgraphUrls.orders, credentials: supergraph.serviceCredentials('gateway'), timeoutMs: 5_000 });
    await expect(asGateway.request(query, { customerIds: [customer.id] })).rejects.toThrow(/Only the reviews service/);
    const throughGateway = await supergraph.request(query, { customerIds: [customer.id] }, { token: tools.adminToken });
    expect(throughGateway.errors?.[0]?.extensions?.code).toBe('GRAPHQL_VALIDATION_FAILED');
  });
});

describe('with the reviews subgraph down', () => {
  it('still shows the rest of the product page: rating and reviews null with an error, everything else whole', async () => {
    const product = await tools.createProduct({ price: '12.00', name: 'Sturdy basket' });
    const page = `query($id: ID!) { product(id: $id) { id name price { amount } stock rating { average count } reviews(first: 5) { totalCount } } }`;
    await supergraph.stopSubgraph('reviews');
    const response = await supergraph.request<{ product: Record<string, unknown> }>(page, { id: product.id });
    console.info(`reviews down: ${JSON.stringify(response.data)} with ${response.errors?.length ?? 0} error(s)`);
    expect(response.data?.product).toEqual({ id: product.id, name: 'Sturdy basket', price: { amount: '12.00' }, stock: 50, rating: null, reviews: null });
    expect(response.errors?.length).toBeGreaterThan(0);
    const write = await supergraph.request(WRITE_REVIEW, { input: { productId: product.id, ...review() } }, { token: tools.adminToken });
    expect(write.data).toBeNull();
    expect(write.errors?.length).toBeGreaterThan(0);
  });
});
