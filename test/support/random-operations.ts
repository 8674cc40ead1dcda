// Random query operations over the public catalogue (products, categories, ratings, reviews), each
// in two forms: with @defer on random inline fragments (some labelled, some nested) and without.
import { getNamedType, isLeafType, isObjectType, type GraphQLObjectType, type GraphQLSchema } from 'graphql';

/** A seeded source of pseudo-random numbers (mulberry32): one seed, one sequence of operations. */
export class SeededRandom {
  constructor(private state: number) {}

  /** A number in [0, 1). */
  next(): number {
    this.state = (this.state + 0x6d2b79f5) | 0;
    let t = Math.imul(this.state ^ (this.state >>> 15), 1 | this.state);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  }

  int(min: number, max: number): number {
    return min + Math.floor(this.next() * (max - min + 1));
  }

  chance(probability: number): boolean {
    return this.next() < probability;
  }

  pick<T>(items: readonly T[]): T {
    return items[Math.floor(this.next() * items.length)]!;
  }

  /** `count` distinct items, in random order. */
  sample<T>(items: readonly T[], count: number): T[] {
    const pool = [...items];
    for (let index = pool.length - 1; index > 0; index -= 1) {
      const other = Math.floor(this.next() * (index + 1));
      [pool[index], pool[other]] = [pool[other]!, pool[index]!];
    }
    return pool.slice(0, count);
  }
}

type Selection = { kind: 'field'; name: string; arguments: string; selections?: Selection[] } | { kind: 'deferred'; label?: string; selections: Selection[] };

/** One random operation, with @defer and without: merged, the first's parts must equal the second's answer. */
export interface RandomOperation {
  deferred: string;
  undeferred: string;
  /** How many @defer it has. */
  defers: number;
}

/** What the root fields are asked for: products and SKUs that exist. */
export interface CatalogueKeys {
  productIds: readonly string[];
  skus: readonly string[];
}

/** Levels of object fields under a root field: well within the depth limit (10) and quick to answer. */
const MAX_NESTING = 3;
/** Each @defer counts against the directive limit (20). */
const MAX_DEFERS = 8;
const ROOT_FIELDS = ['products', 'product', 'productBySku', 'categories'] as const;

/**
 * `count` operations from `seed`: one or two of the root fields `products`, `product`,
 * `productBySku` and `categories`, each with a random selection of the fields below it (object
 * fields to MAX_NESTING levels, `first` from 1 to 3), then the same with random sets of sibling
 * selections moved into `... @defer` fragments, at any level, some inside others.
 */
export function randomOperations(schema: GraphQLSchema, count: number, seed: number, keys: CatalogueKeys): RandomOperation[] {
  const random = new SeededRandom(seed);
  const queryType = schema.getQueryType()!;
  const operations: RandomOperation[] = [];
  for (let index = 0; index < count; index += 1) {
    const roots = random.sample(ROOT_FIELDS, random.int(1, 2)).map((name): Selection => {
      const type = getNamedType(queryType.getFields()[name]!.type) as GraphQLObjectType;
      const argumentsOf = {
        products: `(first: ${random.int(1, 3)})`,
        product: `(id: ${JSON.stringify(random.pick(keys.productIds))})`,
        productBySku: `(sku: ${JSON.stringify(random.pick(keys.skus))})`,
        categories: '',
      }[name];
      return { kind: 'field', name, arguments: argumentsOf, selections: randomSelections(random, type, 1) };
    });
    // Every operation has at least one @defer: drawn again until it does.
    let labels = { defers: 0, next: 0 };
    let deferred = withDefers(random, roots, labels);
    while (labels.defers === 0) {
      labels = { defers: 0, next: 0 };
      deferred = withDefers(random, roots, labels);
    }
    operations.push({ deferred: printOperation(deferred, true), undeferred: printOperation(roots, false), defers: labels.defers });
  }
  return operations;
}

function randomSelections(random: SeededRandom, type: GraphQLObjectType, level: number): Selection[] {
  const fields = Object.values(type.getFields());
  const chosen: Selection[] = [];
  for (const field of random.sample(fields, random.int(1, Math.min(4, fields.length)))) {
    const named = getNamedType(field.type);
    const first = field.args.some((argument) => argument.name === 'first') ? `(first: ${random.int(1, 3)})` : '';
    if (isLeafType(named)) chosen.push({ kind: 'field', name: field.name, arguments: first });
    else if (isObjectType(named) && level < MAX_NESTING) chosen.push({ kind: 'field', name: field.name, arguments: first, selections: randomSelections(random, named, level + 1) });
  }
  // Too deep for every field chosen: a leaf keeps the selection valid.
  if (chosen.length === 0) chosen.push({ kind: 'field', name: fields.find((field) => isLeafType(getNamedType(field.type)))!.name, arguments: '' });
  return chosen;
}

/** A copy of `selections` with random runs of siblings deferred, at every level, some nested. */
function withDefers(random: SeededRandom, selections: Selection[], labels: { defers: number; next: number }): Selection[] {
  const copied = selections.map((selection): Selection =>
    selection.kind === 'field' && selection.selections ? { ...selection, selections: withDefers(random, selection.selections, labels) } : selection,
  );
  return deferSome(random, copied, labels, true);
}

/** `selections` with, sometimes, a random set of them moved into one deferred fragment (`nest`: which may hold another). */
function deferSome(random: SeededRandom, selections: Selection[], labels: { defers: number; next: number }, nest: boolean): Selection[] {
  if (labels.defers >= MAX_DEFERS || !random.chance(0.4)) return selections;
  const moved = new Set(random.sample(selections, random.int(1, selections.length)));
  labels.defers += 1;
  labels.next += 1;
  const label = random.chance(0.8) ? `${random.pick(['part', 'later', 'slow', 'x'])}${labels.next}` : undefined;
  const inner = nest && moved.size > 1 ? deferSome(random, [...moved], labels, false) : [...moved];
  const fragment: Selection = { kind: 'deferred', ...(label ? { label } : {}), selections: inner };
  const position = selections.findIndex((selection) => moved.has(selection));
  const kept = selections.filter((selection) => !moved.has(selection));
  kept.splice(position, 0, fragment);
  return kept;
}

function printSelections(selections: Selection[], deferred: boolean): string {
  return selections
    .map((selection) => {
      if (selection.kind === 'deferred') {
        const directive = deferred ? (selection.label ? ` @defer(label: ${JSON.stringify(selection.label)})` : ' @defer') : '';
        return `...${directive} { ${printSelections(selection.selections, deferred)} }`;
      }
      return `${selection.name}${selection.arguments}${selection.selections ? ` { ${printSelections(selection.selections, deferred)} }` : ''}`;
    })
    .join(' ');
}

function printOperation(selections: Selection[], deferred: boolean): string {
  return `query RandomOperation { ${printSelections(selections, deferred)} }`;
}
