import { describe, expect, it } from 'vitest';
import { MAX_AMOUNT_CENTS, amountProblemMessage, formatCents, money, parseDecimalToCents, readAmount } from '../src/money.js';

describe('parseDecimalToCents', () => {
  it.each([
    ['19.99', 1999],
    ['19.9', 1990],
    ['19', 1900],
    ['0.10', 10],
    ['0.01', 1],
    ['0', 0],
    ['0.00', 0],
    ['007.50', 750],
    // Arithmetic on the digits, not on a float: 0.1 + 0.2 style errors would show here.
    ['1234567.89', 123456789],
    ['0.29', 29],
    ['4.35', 435],
  ])('reads %j as %i cents', (text, cents) => {
    expect(parseDecimalToCents(text)).toBe(cents);
  });

  it('ignores spaces around the amount', () => {
    expect(parseDecimalToCents(' 1.00 ')).toBe(100);
  });

  it.each(['-1', '-0.01', '1.234', '0.001', 'abc', '', '   ', '1e3', '1E2', '+1', '.5', '1.', '1,50', '1 000', '0x10', 'NaN', 'Infinity', '1.2.3', '١٢'])('rejects %j', (text) => {
    expect(parseDecimalToCents(text)).toBeUndefined();
  });

  it('accepts the largest allowed amount and rejects anything above it', () => {
    expect(parseDecimalToCents(formatCents(MAX_AMOUNT_CENTS))).toBe(MAX_AMOUNT_CENTS);
    expect(parseDecimalToCents(formatCents(MAX_AMOUNT_CENTS + 1))).toBeUndefined();
    expect(Number.isSafeInteger(MAX_AMOUNT_CENTS * 1000)).toBe(true);
  });

  it('rejects huge values instead of losing precision', () => {
    expect(parseDecimalToCents('99999999999999999999')).toBeUndefined();
    expect(parseDecimalToCents('9007199254740993.00')).toBeUndefined();
    expect(parseDecimalToCents('9'.repeat(400))).toBeUndefined();
  });
});

describe('readAmount', () => {
  it('reads a valid amount as cents, like parseDecimalToCents', () => {
    expect(readAmount(' 19.99 ')).toEqual({ cents: 1999 });
    expect(readAmount('100000000.00')).toEqual({ cents: MAX_AMOUNT_CENTS });
  });

  it.each([
    ['-1', 'NEGATIVE'],
    ['-0.01', 'NEGATIVE'],
    ['-19.999', 'NEGATIVE'],
    ['1.234', 'TOO_PRECISE'],
    ['0.001', 'TOO_PRECISE'],
    ['100000000.001', 'TOO_PRECISE'],
    ['100000000.01', 'TOO_LARGE'],
    ['900000000.00', 'TOO_LARGE'],
    ['99999999999999999999', 'TOO_LARGE'],
    ['9'.repeat(400), 'TOO_LARGE'],
    ['abc', 'MALFORMED'],
    ['', 'MALFORMED'],
    ['1e3', 'MALFORMED'],
    ['+1', 'MALFORMED'],
    ['-', 'MALFORMED'],
    ['-abc', 'MALFORMED'],
    ['--1', 'MALFORMED'],
    ['1.', 'MALFORMED'],
    ['1,50', 'MALFORMED'],
    ['$5.00', 'MALFORMED'],
    ['1.2.3', 'MALFORMED'],
  ])('says what is wrong with %j: %s', (text, problem) => {
    expect(readAmount(text)).toEqual({ problem });
  });
});

describe('amountProblemMessage', () => {
  it('states the largest amount when an amount is too large', () => {
    expect(amountProblemMessage('Price', 'TOO_LARGE')).toBe('Price must be at most 100000000.00.');
  });

  it('has a message of its own for each other problem', () => {
    expect(amountProblemMessage('Price', 'NEGATIVE')).toBe('Price must not be negative.');
    expect(amountProblemMessage('Price', 'TOO_PRECISE')).toBe('Price must have at most two decimal places.');
    expect(amountProblemMessage('filter.minPrice', 'MALFORMED')).toBe('filter.minPrice must be a decimal amount such as "19.99".');
  });
});

describe('formatCents', () => {
  it.each([
    [150000, '1500.00'],
    [5, '0.05'],
    [50, '0.50'],
    [0, '0.00'],
    [1999, '19.99'],
    [100, '1.00'],
    [-5, '-0.05'],
    [-150, '-1.50'],
    [-150000, '-1500.00'],
  ])('formats %i cents as %j', (cents, text) => {
    expect(formatCents(cents)).toBe(text);
  });

  it('formats bigint cents exactly, beyond the range of safe JS numbers', () => {
    expect(formatCents(1999n)).toBe('19.99');
    expect(formatCents(123456789012345678901n)).toBe('1234567890123456789.01');
    expect(formatCents(-7n)).toBe('-0.07');
  });

  it('refuses fractional cents rather than rounding them silently', () => {
    expect(() => formatCents(1.5)).toThrow();
  });

  it('round-trips with parseDecimalToCents', () => {
    for (const cents of [0, 1, 9, 10, 99, 100, 101, 1999, 150000, MAX_AMOUNT_CENTS]) {
      expect(parseDecimalToCents(formatCents(cents))).toBe(cents);
    }
  });
});

describe('money', () => {
  it('builds a Money value in the store currency', () => {
    expect(money(150000)).toEqual({ amount: '1500.00', currencyCode: 'USD' });
    expect(money(5n)).toEqual({ amount: '0.05', currencyCode: 'USD' });
    expect(money(0)).toEqual({ amount: '0.00', currencyCode: 'USD' });
  });
});
