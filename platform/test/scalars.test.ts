import { GraphQLError, parseValue as parseGraphQLValue } from 'graphql';
import { describe, expect, it } from 'vitest';
import { DecimalScalar } from '../src/scalars.js';

describe('Decimal scalar', () => {
  describe('serialize', () => {
    it.each(['1500.00', '0.05', '0.00', '-3.50', '19.99'])('passes %j through', (value) => {
      expect(DecimalScalar.serialize(value)).toBe(value);
    });

    it.each([1500, 19.99, 0, '1.5', '1500', '1500.000', '1,500.00', ' 1.00', 'abc', null, undefined])('refuses %j', (value) => {
      expect(() => DecimalScalar.serialize(value)).toThrow(GraphQLError);
    });

    it('refuses a bigint: amounts are formatted from cents first', () => {
      expect(() => DecimalScalar.serialize(150000n)).toThrow(GraphQLError);
    });
  });

  describe('parseValue (variables)', () => {
    it('takes any string, leaving the amount to the resolver to check', () => {
      expect(DecimalScalar.parseValue('19.99')).toBe('19.99');
      expect(DecimalScalar.parseValue('-1')).toBe('-1');
      expect(DecimalScalar.parseValue('abc')).toBe('abc');
    });

    it.each([19.99, 1999, true, null, { amount: '1.00' }])('refuses the non-string %j', (value) => {
      expect(() => DecimalScalar.parseValue(value)).toThrow(GraphQLError);
    });
  });

  describe('parseLiteral (inline arguments)', () => {
    it('takes a string literal', () => {
      expect(DecimalScalar.parseLiteral(parseGraphQLValue('"19.99"'), undefined)).toBe('19.99');
    });

    it.each(['19.99', '1999', 'true', 'null', '{ amount: "1.00" }', '["1.00"]'])('refuses the literal %s', (literal) => {
      expect(() => DecimalScalar.parseLiteral(parseGraphQLValue(literal), undefined)).toThrow(GraphQLError);
    });
  });
});
