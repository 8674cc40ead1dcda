import { describe, expect, it } from 'vitest';
import { productRules } from '../src/services/catalogue-service.js';

const invalid = (field: string) => ({ code: 'INVALID_INPUT', field, message: expect.any(String) });

describe('productRules.sku', () => {
  it.each(['ABC-123', 'apple.red_1', '7', 'A'.repeat(64), ' TRIMMED-1 '])('accepts %j', (sku) => {
    expect(productRules.sku(sku)).toBeUndefined();
  });

  it.each(['', '   ', '-ABC', '.abc', '_abc', 'AB C', 'ABC/1', 'ABC;DROP', 'A'.repeat(65), 'ÄPFEL'])('refuses %j as INVALID_INPUT on "sku"', (sku) => {
    expect(productRules.sku(sku)).toEqual(invalid('sku'));
  });

  it('reports the field path it is given', () => {
    expect(productRules.sku('', 'input.sku')).toEqual(invalid('input.sku'));
  });
});

describe('control characters', () => {
  it.each([
    ['sku', (text: string) => productRules.sku(text), 'SKU'],
    ['name', (text: string) => productRules.name(text), 'Name'],
  ] as const)('are refused in %s, and the message says so rather than giving the format', (field, check, label) => {
    for (const [text, codePoint] of [
      ['ABC\u001B[1m', 'U+001B'],
      ['A\u0001B', 'U+0001'],
      ['ABC\u007F', 'U+007F'],
      ['ABC\u0085', 'U+0085'],
      ['ABC\n', 'U+000A'],
      ['\tABC', 'U+0009'],
    ]) {
      expect(check(text!)).toEqual({ code: 'INVALID_INPUT', field, message: `${label} must not contain control characters (${codePoint}).` });
    }
  });

  it('are refused in a description, but for line feeds and tabs', () => {
    expect(productRules.description('Oats.\n\tRolled, not cut.\n')).toBeUndefined();
    for (const [text, codePoint] of [
      ['Oats\u001B[31m', 'U+001B'],
      ['Oats\r\n', 'U+000D'],
      ['Oats\u0000', 'U+0000'],
      ['Oats\u007F', 'U+007F'],
      ['Oats\u009C', 'U+009C'],
    ]) {
      expect(productRules.description(text!)).toEqual({
        code: 'INVALID_INPUT',
        field: 'description',
        message: `Description must not contain control characters other than line feeds and tabs (${codePoint}).`,
      });
    }
  });

  it('and bidirectional controls are refused in names and descriptions; invisible characters in names only', () => {
    expect(productRules.name('Jam \u202Emaj')?.message).toBe('Name must not contain bidirectional text controls (U+202E).');
    expect(productRules.description('Jam \u2066maj\u2069')?.message).toBe('Description must not contain bidirectional text controls (U+2066).');
    expect(productRules.name('Ja\u200Bm')?.message).toBe('Name must not contain invisible formatting characters (U+200B).');
    expect(productRules.description('Ja\u200Bm')).toBeUndefined();
  });
});

describe('productRules.name', () => {
  it.each(['Organic apples', 'X', 'x'.repeat(200), `  ${'x'.repeat(200)}  `])('accepts a name of %#', (name) => {
    expect(productRules.name(name)).toBeUndefined();
  });

  it.each(['', '   ', '\n\t', 'x'.repeat(201)])('refuses a blank or long name (%#)', (name) => {
    expect(productRules.name(name)).toEqual(invalid('name'));
  });
});

describe('productRules.description', () => {
  it('accepts an empty description and one of 5000 characters', () => {
    expect(productRules.description('')).toBeUndefined();
    expect(productRules.description('d'.repeat(5000))).toBeUndefined();
  });

  it('refuses one over 5000 characters', () => {
    expect(productRules.description('d'.repeat(5001))).toEqual(invalid('description'));
  });
});

describe('productRules.stock', () => {
  it.each([0, 1, 250, 1_000_000_000])('accepts %i', (stock) => {
    expect(productRules.stock(stock)).toBeUndefined();
  });

  it.each([-1, -1000, 1.5, 0.1, Number.NaN, Number.POSITIVE_INFINITY, 1_000_000_001])('refuses %d as INVALID_INPUT on "stock"', (stock) => {
    expect(productRules.stock(stock)).toEqual(invalid('stock'));
  });

  it('reports the field path it is given', () => {
    expect(productRules.stock(-1, 'input.stock')).toEqual(invalid('input.stock'));
  });
});

describe('productRules.price', () => {
  it.each([
    ['19.99', 1999],
    ['19.9', 1990],
    ['19', 1900],
    ['0', 0],
    ['0.10', 10],
  ])('reads %j as %i cents', (price, cents) => {
    expect(productRules.price(price)).toEqual({ cents });
  });

  it.each(['-1', '-0.01', '1.234', 'abc', '', '1e3', '$5.00', '99999999999999999999'])('refuses %j as INVALID_INPUT on "price"', (price) => {
    const result = productRules.price(price);
    expect(result.cents).toBeUndefined();
    expect(result.error).toEqual(invalid('price'));
  });

  it('reports the field path it is given', () => {
    expect(productRules.price('-5', 'filter.minPrice').error).toEqual(invalid('filter.minPrice'));
  });

  it('accepts the largest price, 100000000.00, and says so for anything above it', () => {
    expect(productRules.price('100000000.00')).toEqual({ cents: 100_000_000_00 });
    for (const price of ['100000000.01', '900000000.00', '99999999999999999999']) {
      expect(productRules.price(price).error).toEqual({ code: 'INVALID_INPUT', field: 'price', message: 'Price must be at most 100000000.00.' });
    }
  });

  it.each([
    ['-1.00', 'Price must not be negative.'],
    ['1.234', 'Price must have at most two decimal places.'],
    ['abc', 'Price must be a decimal amount such as "19.99".'],
    ['$5.00', 'Price must be a decimal amount such as "19.99".'],
    ['', 'Price must be a decimal amount such as "19.99".'],
  ])('explains what is wrong with %j', (price, message) => {
    expect(productRules.price(price).error).toEqual({ code: 'INVALID_INPUT', field: 'price', message });
  });
});
