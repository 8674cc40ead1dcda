import { GraphQLError, GraphQLScalarType, Kind } from 'graphql';
import { DateTimeResolver, EmailAddressResolver } from 'graphql-scalars';

const SERIALIZED_DECIMAL = /^-?\d+\.\d{2}$/;

/**
 * `Decimal`: output is a string with exactly two fraction digits; input is any string, because
 * resolvers check amounts themselves and report a bad one as a field-level user error.
 */
export const DecimalScalar = new GraphQLScalarType({
  name: 'Decimal',
  description: 'An exact decimal amount, serialised as a string with two fraction digits ("1500.00").',
  serialize(value) {
    if (typeof value === 'string' && SERIALIZED_DECIMAL.test(value)) return value;
    throw new GraphQLError(`Decimal cannot represent ${String(value)}; amounts are formatted from cents.`);
  },
  parseValue(value) {
    if (typeof value !== 'string') throw new GraphQLError('Decimal input must be a string such as "19.99".');
    return value;
  },
  parseLiteral(ast) {
    if (ast.kind !== Kind.STRING) throw new GraphQLError('Decimal input must be a string such as "19.99".');
    return ast.value;
  },
});

/** Scalar resolvers shared by every subgraph; each subgraph registers those its schema declares. */
export const scalarResolvers = {
  Decimal: DecimalScalar,
  DateTime: DateTimeResolver,
  EmailAddress: EmailAddressResolver,
};
