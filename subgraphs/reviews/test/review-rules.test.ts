import { describe, expect, it } from 'vitest';
import { MAX_BODY_LENGTH, MAX_TITLE_LENGTH, ratingOf, validateReview } from '../src/services/review-rules.js';

const valid = { productId: 'p', rating: 4, title: 'Good bread', body: 'Crusty outside,\n\tsoft inside.' };
const invalidOn = (field: string) => ({ code: 'INVALID_INPUT', field, message: expect.any(String) });

describe('validateReview', () => {
  it('accepts a review at every bound, trimming its text', () => {
    for (const rating of [1, 5]) expect(validateReview({ ...valid, rating }).errors).toEqual([]);
    expect(validateReview({ ...valid, title: 'é'.repeat(MAX_TITLE_LENGTH), body: '🍞'.repeat(MAX_BODY_LENGTH) }).errors).toEqual([]);
    expect(validateReview({ ...valid, title: '  Good  ', body: ' x ' }).review).toEqual({ rating: 4, title: 'Good', body: 'x' });
  });

  it.each([0, 6, 4.5, -1])('refuses a rating of %s on input.rating', (rating) => {
    expect(validateReview({ ...valid, rating }).errors).toEqual([invalidOn('input.rating')]);
  });

  it.each([
    ['an empty title', { title: '' }, 'input.title'],
    ['a blank title', { title: '   ' }, 'input.title'],
    ['a title one character too long', { title: 'x'.repeat(MAX_TITLE_LENGTH + 1) }, 'input.title'],
    ['a title on two lines', { title: 'Good\nbread' }, 'input.title'],
    ['an empty body', { body: '' }, 'input.body'],
    ['a body one character too long (emoji count once)', { body: '🍞'.repeat(MAX_BODY_LENGTH + 1) }, 'input.body'],
    ['a carriage return in the body', { body: 'Good\r\nbread' }, 'input.body'],
    ['a bidirectional override in the body', { body: 'Good \u202Edaerb' }, 'input.body'],
  ])('refuses %s', (_, change, field) => {
    expect(validateReview({ ...valid, ...change }).errors).toEqual([invalidOn(field)]);
  });

  it('names every problem at once', () => {
    expect(validateReview({ ...valid, rating: 9, title: '', body: '\u0007' }).errors.map((error) => error.field)).toEqual(['input.rating', 'input.title', 'input.body']);
  });
});

describe('ratingOf', () => {
  it('is no average and five zero counts without reviews', () => {
    expect(ratingOf([])).toEqual({
      average: null,
      count: 0,
      distribution: [5, 4, 3, 2, 1].map((stars) => ({ stars, count: 0 })),
    });
  });

  it('counts every star and lists them 5 down to 1', () => {
    const rating = ratingOf([
      { stars: 5, count: 3 },
      { stars: 1, count: 1 },
      { stars: 4, count: 2 },
    ]);
    expect(rating.count).toBe(6);
    expect(rating.distribution).toEqual([
      { stars: 5, count: 3 },
      { stars: 4, count: 2 },
      { stars: 3, count: 0 },
      { stars: 2, count: 0 },
      { stars: 1, count: 1 },
    ]);
    expect(rating.average).toBe(4); // 24 / 6
  });

  it.each([
    [
      [
        { stars: 4, count: 3 },
        { stars: 5, count: 1 },
      ],
      4.3,
    ], // 4.25 rounds half up
    [
      [
        { stars: 5, count: 2 },
        { stars: 4, count: 1 },
      ],
      4.7,
    ], // 4.666…
    [
      [
        { stars: 1, count: 2 },
        { stars: 2, count: 1 },
      ],
      1.3,
    ], // 1.333…
    [
      [
        { stars: 3, count: 1 },
        { stars: 4, count: 1 },
      ],
      3.5,
    ],
    [
      [
        { stars: 1, count: 19 },
        { stars: 2, count: 1 },
      ],
      1.1,
    ], // 1.05 rounds half up
  ])('rounds the mean of %j to one decimal, half up: %s', (counts, average) => {
    expect(ratingOf(counts).average).toBe(average);
  });
});
