import { describe, expect, it } from 'vitest';
import { distinctRepresentations } from '../gateway/src/entity-representations.js';

const product = (id: string) => ({ __typename: 'Product', id });

describe('distinctRepresentations', () => {
  it('leaves a fetch alone when nothing repeats, or when it is not an _entities fetch', () => {
    expect(distinctRepresentations([product('a'), product('b')])).toBeUndefined();
    expect(distinctRepresentations([product('a')])).toBeUndefined();
    expect(distinctRepresentations(undefined)).toBeUndefined();
  });

  it('sends each representation once and answers every position, each with an object of its own', () => {
    const folded = distinctRepresentations([product('a'), product('b'), product('a'), product('c'), product('b')])!;
    expect(folded.distinct).toEqual([product('a'), product('b'), product('c')]);
    const answer = folded.expand({ data: { _entities: [{ name: 'A', category: { name: 'X' } }, { name: 'B' }, { name: 'C' }] } });
    const entities = (answer.data as { _entities: Array<{ name: string }> })._entities;
    expect(entities.map((entity) => entity.name)).toEqual(['A', 'B', 'A', 'C', 'B']);
    expect(entities[2]).toEqual(entities[0]);
    expect(entities[2]).not.toBe(entities[0]);
  });

  it('repeats an error about one representation for each of its positions', () => {
    const folded = distinctRepresentations([product('a'), product('b'), product('a')])!;
    const answer = folded.expand({
      data: { _entities: [null, { name: 'B' }] },
      errors: [{ message: 'gone', path: ['_entities', 0, 'name'] }, { message: 'elsewhere' }],
    });
    expect((answer.data as { _entities: unknown[] })._entities).toEqual([null, { name: 'B' }, null]);
    expect(answer.errors?.map((error) => [error.message, error.path])).toEqual([
      ['gone', ['_entities', 0, 'name']],
      ['gone', ['_entities', 2, 'name']],
      ['elsewhere', undefined],
    ]);
  });

  it('passes an answer of the wrong shape on untouched, for the gateway to refuse', () => {
    const folded = distinctRepresentations([product('a'), product('a')])!;
    const wrong = { data: { _entities: [{ name: 'A' }, { name: 'A' }] } };
    expect(folded.expand(wrong)).toBe(wrong);
  });
});
