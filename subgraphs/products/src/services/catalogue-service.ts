import {
  UserErrorCode,
  amountProblemMessage,
  badUserInput,
  connectionPage,
  decodeCursor,
  encodeCursor,
  freeTextProblem,
  isUniqueViolation,
  isUuid,
  pageSize,
  readAmount,
  userError,
  type UserError,
} from '@greencart/platform';
import type { ProductsDb } from '../db/database.js';
import { CategoryRepository } from '../db/category-repository.js';
import { ProductRepository, type NewProduct, type ProductChanges, type ProductListFilter, type ProductSortKey } from '../db/product-repository.js';
import type { CategoryRow, ProductRow } from '../db/schema.js';

const SKU = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;
/** The form `Date.toISOString` gives the CREATED_AT cursor, in years PostgreSQL accepts (not year 0). */
const CURSOR_TIMESTAMP = /^[1-9]\d{3}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;
const MAX_NAME = 200;
const MAX_DESCRIPTION = 5000;
const MAX_STOCK = 1_000_000_000;

export type Result<Value> = { value: Value; userErrors: [] } | { value: null; userErrors: UserError[] };
const ok = <Value>(value: Value): Result<Value> => ({ value, userErrors: [] });
const refused = (...userErrors: UserError[]): Result<never> => ({ value: null, userErrors });

/** The checks on product fields, shared by create and update; pure, so unit-tested on their own. */
export const productRules = {
  /** Also a category's name. */
  name(name: string, field = 'name'): UserError | undefined {
    const trimmed = name.trim();
    const characters = freeTextProblem('Name', name, 'name');
    if (characters) return userError(UserErrorCode.INVALID_INPUT, characters, field);
    if (trimmed.length === 0 || trimmed.length > MAX_NAME) return userError(UserErrorCode.INVALID_INPUT, `Name must be 1 to ${MAX_NAME} characters.`, field);
  },
  description(description: string, field = 'description'): UserError | undefined {
    const characters = freeTextProblem('Description', description, 'multi-line');
    if (characters) return userError(UserErrorCode.INVALID_INPUT, characters, field);
    if (description.length > MAX_DESCRIPTION) return userError(UserErrorCode.INVALID_INPUT, `Description must be at most ${MAX_DESCRIPTION} characters.`, field);
  },
  sku(sku: string, field = 'sku'): UserError | undefined {
    const characters = freeTextProblem('SKU', sku, 'single-line');
    if (characters) return userError(UserErrorCode.INVALID_INPUT, characters, field);
    if (!SKU.test(sku.trim())) return userError(UserErrorCode.INVALID_INPUT, 'SKU must be 1 to 64 letters, digits, ".", "-" or "_", starting with a letter or digit.', field);
  },
  stock(stock: number, field = 'stock'): UserError | undefined {
    if (!Number.isInteger(stock) || stock < 0 || stock > MAX_STOCK) return userError(UserErrorCode.INVALID_INPUT, 'Stock must be a whole number, not negative.', field);
  },
  price(price: string, field = 'price'): { cents: number; error?: undefined } | { cents?: undefined; error: UserError } {
    const amount = readAmount(price);
    if (amount.problem) return { error: userError(UserErrorCode.INVALID_INPUT, amountProblemMessage('Price', amount.problem), field) };
    return { cents: amount.cents };
  },
};

export interface CreateProductInput {
  sku: string;
  name: string;
  description?: string | null;
  price: string;
  stock: number;
  categoryId: string;
}

export interface UpdateProductInput {
  name?: string | null;
  description?: string | null;
  price?: string | null;
  categoryId?: string | null;
}

export interface ProductListArguments {
  first?: number | null;
  after?: string | null;
  filter?: { categoryId?: string | null; search?: string | null; inStock?: boolean | null; minPrice?: string | null; maxPrice?: string | null } | null;
  sortKey?: ProductSortKey | null;
  reverse?: boolean | null;
}

/** A page of products, with what is needed to count all matches only if the client asks. */
export interface ProductPage {
  edges: Array<{ cursor: string; node: ProductRow }>;
  pageInfo: ReturnType<typeof connectionPage>['pageInfo'];
  filter: ProductListFilter;
  /** The categories of the page's products, for the resolver to hand to the category loader. */
  categories: CategoryRow[];
}

/** The catalogue's rules: listing, and the admin writes. Each write validates, then acts in a transaction. */
export class CatalogueService {
  private readonly products: ProductRepository;
  private readonly categories: CategoryRepository;

  constructor(private readonly db: ProductsDb) {
    this.products = new ProductRepository(db);
    this.categories = new CategoryRepository(db);
  }

  async listProducts(args: ProductListArguments): Promise<ProductPage> {
    const first = pageSize(args.first);
    const sortKey = args.sortKey ?? 'NAME';
    const reverse = args.reverse ?? false;
    const filter = parseFilter(args.filter);
    let after: { value: string | number; id: string } | undefined;
    if (args.after) {
      const [cursorSortKey, value, id] = decodeCursor(args.after, ['string', sortKey === 'PRICE' ? 'number' : 'string', 'string'] as const);
      if (cursorSortKey !== sortKey || !isUuid(id)) throw badUserInput('after is a cursor from another ordering of this list.', 'after');
      if (!isCursorValue(sortKey, value)) throw badUserInput('after is not a cursor this list gave out.', 'after');
      after = { value, id };
    }
    const rows = await this.products.listActive({ filter, sortKey, reverse, after, limit: first + 1 });
    const cursorOf = (row: ProductRow) => encodeCursor([sortKey, sortValue(row, sortKey), row.id]);
    const categories = [...new Map(rows.map(({ category }) => [category.id, category])).values()];
    return {
      ...connectionPage(
        rows.map(({ product }) => product),
        first,
        args.after,
        cursorOf,
      ),
      filter,
      categories,
    };
  }

  countProducts(filter: ProductListFilter): Promise<number> {
    return this.products.countActive(filter);
  }

  async findActiveProduct(id: string): Promise<ProductRow | null> {
    const [row] = await this.products.findByIds([id]);
    return row?.status === 'ACTIVE' ? row : null;
  }

  async findActiveProductBySku(sku: string): Promise<ProductRow | null> {
    return (await this.products.findActiveBySku(sku)) ?? null;
  }

  listCategories(): Promise<CategoryRow[]> {
    return this.categories.listAll();
  }

  async createCategory(input: { name: string }): Promise<Result<CategoryRow>> {
    const name = input.name.trim();
    const invalid = productRules.name(input.name);
    if (invalid) return refused(invalid);
    if (await this.categories.existsWithName(name)) return refused(categoryTaken(name));
    try {
      return ok(await this.db.transaction((tx) => new CategoryRepository(tx).insert(name)));
    } catch (error) {
      if (isUniqueViolation(error)) return refused(categoryTaken(name));
      throw error;
    }
  }

  async createProduct(input: CreateProductInput): Promise<Result<ProductRow>> {
    const price = productRules.price(input.price);
    const invalid = [productRules.sku(input.sku), productRules.name(input.name), productRules.description(input.description ?? ''), price.error, productRules.stock(input.stock)].filter(
      (error): error is UserError => error !== undefined,
    );
    if (invalid.length > 0) return refused(...invalid);

    const product: NewProduct = {
      sku: input.sku.trim(),
      name: input.name.trim(),
      description: input.description ?? '',
      priceCents: price.cents!,
      stock: input.stock,
      categoryId: input.categoryId,
    };
    if (!(await this.categoryExists(input.categoryId))) return refused(categoryNotFound());
    if (await this.products.existsWithSku(product.sku)) return refused(skuTaken(product.sku));
    try {
      return ok(await this.db.transaction((tx) => new ProductRepository(tx).insert(product)));
    } catch (error) {
      if (isUniqueViolation(error)) return refused(skuTaken(product.sku));
      throw error;
    }
  }

  async updateProduct(id: string, input: UpdateProductInput): Promise<Result<ProductRow>> {
    const changes: ProductChanges = {};
    const invalid: UserError[] = [];
    if (input.name != null) {
      const error = productRules.name(input.name, 'name');
      if (error) invalid.push(error);
      else changes.name = input.name.trim();
    }
    if (input.description != null) {
      const error = productRules.description(input.description, 'description');
      if (error) invalid.push(error);
      else changes.description = input.description;
    }
    if (input.price != null) {
      const price = productRules.price(input.price, 'price');
      if (price.error) invalid.push(price.error);
      else changes.priceCents = price.cents;
    }
    if (invalid.length > 0) return refused(...invalid);
    if (input.categoryId != null) {
      if (!(await this.categoryExists(input.categoryId))) return refused(categoryNotFound('categoryId'));
      changes.categoryId = input.categoryId;
    }
    if (!(await this.findActiveProduct(id))) return refused(productNotFound('id'));
    const updated = await this.db.transaction((tx) => new ProductRepository(tx).update(id, changes));
    return updated ? ok(updated) : refused(productNotFound('id'));
  }

  async archiveProduct(id: string): Promise<Result<ProductRow>> {
    const archived = isUuid(id) ? await this.db.transaction((tx) => new ProductRepository(tx).archive(id)) : undefined;
    return archived ? ok(archived) : refused(productNotFound('id'));
  }

  async setStock(productId: string, stock: number): Promise<Result<ProductRow>> {
    const invalid = productRules.stock(stock);
    if (invalid) return refused(invalid);
    const updated = isUuid(productId) ? await this.db.transaction((tx) => new ProductRepository(tx).setStock(productId, stock)) : undefined;
    return updated ? ok(updated) : refused(productNotFound('productId'));
  }

  async addRecommendation(productId: string, recommendedProductId: string): Promise<Result<ProductRow>> {
    return this.changeRecommendation(productId, recommendedProductId, (repository) => repository.addRecommendation(productId, recommendedProductId));
  }

  async removeRecommendation(productId: string, recommendedProductId: string): Promise<Result<ProductRow>> {
    return this.changeRecommendation(productId, recommendedProductId, (repository) => repository.removeRecommendation(productId, recommendedProductId));
  }

  private async changeRecommendation(productId: string, recommendedProductId: string, change: (repository: ProductRepository) => Promise<void>): Promise<Result<ProductRow>> {
    if (productId === recommendedProductId) {
      return refused(userError(UserErrorCode.INVALID_INPUT, 'A product cannot recommend itself.', 'recommendedProductId'));
    }
    const product = await this.findActiveProduct(productId);
    if (!product) return refused(productNotFound('productId'));
    if (!(await this.findActiveProduct(recommendedProductId))) return refused(productNotFound('recommendedProductId'));
    await this.db.transaction((tx) => change(new ProductRepository(tx)));
    return ok(product);
  }

  private async categoryExists(id: string): Promise<boolean> {
    return (await this.categories.findByIds([id])).length > 0;
  }
}

function parseFilter(filter: ProductListArguments['filter']): ProductListFilter {
  const parsed: ProductListFilter = {};
  if (!filter) return parsed;
  if (filter.categoryId != null) parsed.categoryId = filter.categoryId;
  if (filter.search != null) {
    const characters = freeTextProblem('filter.search', filter.search, 'single-line');
    if (characters) throw badUserInput(characters, 'filter');
    if (filter.search.trim() !== '') parsed.search = filter.search.trim();
  }
  if (filter.inStock != null) parsed.inStock = filter.inStock;
  for (const [key, target] of [
    ['minPrice', 'minPriceCents'],
    ['maxPrice', 'maxPriceCents'],
  ] as const) {
    const text = filter[key];
    if (text == null) continue;
    const amount = readAmount(text);
    if (amount.problem) throw badUserInput(amountProblemMessage(`filter.${key}`, amount.problem), 'filter');
    parsed[target] = amount.cents;
  }
  return parsed;
}

/**
 * Whether a decoded cursor value is one `sortValue` could have given, so that it is safe to query
 * with (a cursor's content is base64, so the request-level NUL check cannot see into it).
 */
function isCursorValue(sortKey: ProductSortKey, value: string | number): boolean {
  if (typeof value === 'number') return true;
  if (sortKey === 'CREATED_AT') return CURSOR_TIMESTAMP.test(value) && !Number.isNaN(Date.parse(value));
  return !value.includes('\u0000');
}

function sortValue(row: ProductRow, sortKey: ProductSortKey): string | number {
  if (sortKey === 'PRICE') return row.priceCents;
  if (sortKey === 'CREATED_AT') return row.createdAt.toISOString();
  return row.name;
}

const productNotFound = (field: string) => userError(UserErrorCode.NOT_FOUND, 'No such product in the catalogue.', field);
const categoryNotFound = (field = 'categoryId') => userError(UserErrorCode.NOT_FOUND, 'No such category.', field);
const skuTaken = (sku: string) => userError(UserErrorCode.CONFLICT, `SKU "${sku}" is already used by another product, in this or another letter case.`, 'sku');
const categoryTaken = (name: string) => userError(UserErrorCode.CONFLICT, `A category named "${name}" already exists.`, 'name');
