import { GraphQLError, type GraphQLFormattedError } from 'graphql';

/** The business failure codes every subgraph reports in `userErrors` (enum `UserErrorCode`). */
export const UserErrorCode = {
  INVALID_INPUT: 'INVALID_INPUT',
  NOT_FOUND: 'NOT_FOUND',
  EMAIL_TAKEN: 'EMAIL_TAKEN',
  INVALID_CREDENTIALS: 'INVALID_CREDENTIALS',
  OUT_OF_STOCK: 'OUT_OF_STOCK',
  CART_EMPTY: 'CART_EMPTY',
  INVALID_STATE: 'INVALID_STATE',
  PAYMENT_DECLINED: 'PAYMENT_DECLINED',
  CONFLICT: 'CONFLICT',
  NOT_PURCHASED: 'NOT_PURCHASED',
} as const;
export type UserErrorCode = (typeof UserErrorCode)[keyof typeof UserErrorCode];

/** An expected business failure, returned as a value in a mutation payload. */
export interface UserError {
  field: string | null;
  message: string;
  code: UserErrorCode;
}

export function userError(code: UserErrorCode, message: string, field: string | null = null): UserError {
  return { code, message, field };
}

/** Top-level error codes (GraphQL `extensions.code`). */
export const ErrorCode = {
  UNAUTHENTICATED: 'UNAUTHENTICATED',
  FORBIDDEN: 'FORBIDDEN',
  BAD_USER_INPUT: 'BAD_USER_INPUT',
  /** A subscription's entity does not exist or is not the caller's (subscriptions have no payload for userErrors). */
  NOT_FOUND: 'NOT_FOUND',
  RATE_LIMITED: 'RATE_LIMITED',
  OPERATION_NOT_IN_SAFELIST: 'OPERATION_NOT_IN_SAFELIST',
  /** The gateway did not finish the request within its deadline (REQUEST_TIMEOUT_MS). */
  REQUEST_TIMEOUT: 'REQUEST_TIMEOUT',
  INTERNAL_SERVER_ERROR: 'INTERNAL_SERVER_ERROR',
} as const;

export function unauthenticated(message = 'Sign in to do this.', httpStatus?: number): GraphQLError {
  return new GraphQLError(message, {
    extensions: { code: ErrorCode.UNAUTHENTICATED, ...(httpStatus ? { http: { status: httpStatus } } : {}) },
  });
}

export function forbidden(message = 'You are not allowed to do this.'): GraphQLError {
  return new GraphQLError(message, { extensions: { code: ErrorCode.FORBIDDEN } });
}

/** Too many attempts: a top-level error telling the client when it may try again. */
export function rateLimited(message: string, retryAfterSeconds: number): GraphQLError {
  return new GraphQLError(message, { extensions: { code: ErrorCode.RATE_LIMITED, retryAfterSeconds } });
}

export function notFound(message: string): GraphQLError {
  return new GraphQLError(message, { extensions: { code: ErrorCode.NOT_FOUND } });
}

export function badUserInput(message: string, argumentName?: string): GraphQLError {
  return new GraphQLError(message, {
    extensions: { code: ErrorCode.BAD_USER_INPUT, ...(argumentName ? { argumentName } : {}) },
  });
}

const CLIENT_FACING_CODES = new Set<string>([
  ErrorCode.UNAUTHENTICATED,
  ErrorCode.FORBIDDEN,
  ErrorCode.BAD_USER_INPUT,
  ErrorCode.NOT_FOUND,
  ErrorCode.RATE_LIMITED,
  ErrorCode.REQUEST_TIMEOUT,
  'GRAPHQL_PARSE_FAILED',
  'GRAPHQL_VALIDATION_FAILED',
  'PERSISTED_QUERY_NOT_FOUND',
  'PERSISTED_QUERY_NOT_SUPPORTED',
  'OPERATION_RESOLUTION_FAILURE',
  'BAD_REQUEST',
]);

/**
 * Apollo `formatError`: errors we raised on purpose pass through; anything else is an unexpected
 * failure, logged with its stack and shown to clients as a generic INTERNAL_SERVER_ERROR. In
 * production no error names the subgraph it came from.
 */
export function createErrorFormatter(options: { production: boolean; log: (error: unknown) => void }) {
  return (formatted: GraphQLFormattedError, error: unknown): GraphQLFormattedError => {
    const code = refusedRequest(error) ? 'BAD_REQUEST' : formatted.extensions?.code;
    if (typeof code === 'string' && CLIENT_FACING_CODES.has(code)) {
      // Raised on purpose: the message is for the client, a stack trace would be noise.
      const { stacktrace: _stack, ...extensions } = formatted.extensions ?? {};
      if (options.production) delete extensions.serviceName;
      return { ...formatted, message: withoutVariableValues(formatted.message), extensions: { ...extensions, code } };
    }
    options.log(error);
    return {
      message: 'Internal server error',
      locations: formatted.locations,
      path: formatted.path,
      extensions: { code: ErrorCode.INTERNAL_SERVER_ERROR },
    };
  };
}

/**
 * An error Apollo Server raised without a code but with a 4xx status: it refused the request
 * itself (a persisted query's hash that does not match its text), a client's mistake.
 */
function refusedRequest(error: unknown): boolean {
  const extensions = (error as { extensions?: { code?: unknown; http?: { status?: unknown } } } | null)?.extensions;
  const status = extensions?.http?.status;
  return extensions?.code === undefined && typeof status === 'number' && status >= 400 && status < 500;
}

const INVALID_VARIABLE = /^Variable "\$\w+" got invalid value/;
const VALUE_FREE_REASONS = [/Field "\w+" of required type "[^"]+" was not provided\.$/, /Field "\w+" is not defined by type "\w+"\.(?: Did you mean [^?]*\?)?$/];

/**
 * graphql-js quotes a variable's value when it fails to coerce, and the value may be a whole
 * input holding a card number or a password. Keep the variable, the path and the reason; drop
 * the value.
 */
export function withoutVariableValues(message: string): string {
  const head = INVALID_VARIABLE.exec(message);
  if (!head) return message;
  const path = [...message.matchAll(/ at "([\w.$[\]]+)"; /g)].at(-1)?.[1];
  const reason = VALUE_FREE_REASONS.map((pattern) => pattern.exec(message)?.[0]).find(Boolean) ?? 'it is not of the expected type.';
  return `${head[0]}${path ? ` at "${path}"` : ''}; ${reason}`;
}

/** Thrown inside a transaction to roll it back and answer with user errors instead. */
export class Refusal extends Error {
  constructor(readonly userErrors: UserError[]) {
    super(userErrors.map((error) => error.message).join(' '));
  }
}

/**
 * Runs `work` in a transaction. A `Refusal` thrown inside rolls everything back and comes out as
 * `{ userErrors }`; any other error propagates.
 */
export async function transactionOrRefusal<Transaction, Value>(
  db: { transaction: (work: (tx: Transaction) => Promise<Value>) => Promise<Value> },
  work: (tx: Transaction) => Promise<Value>,
): Promise<{ value: Value; userErrors: [] } | { value: null; userErrors: UserError[] }> {
  try {
    return { value: await db.transaction(work), userErrors: [] };
  } catch (error) {
    if (error instanceof Refusal) return { value: null, userErrors: error.userErrors };
    throw error;
  }
}
