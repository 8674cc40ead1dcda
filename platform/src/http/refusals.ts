import { STATUS_CODES, type Server } from 'node:http';
import type { Duplex } from 'node:stream';
import express, { type ErrorRequestHandler, type RequestHandler, type Response } from 'express';
import { GraphQLError, Kind } from 'graphql';
import type { ApolloServerPlugin, BaseContext } from '@apollo/server';
import { ErrorCode } from '../errors.js';
import { errorFields, type Logger } from '../logger.js';
import { currentRequest } from './request-id.js';

/**
 * How a GreenCart process refuses a request that is wrong before GraphQL sees it: always a JSON
 * GraphQL-over-HTTP error with a code, never an HTML page, never the request's own text, and
 * logged as a client's mistake (info), not as an unexpected failure.
 */

/** A GraphQL-shaped error body, as every refusal answers. */
export function errorBody(message: string, code: string): { errors: Array<{ message: string; extensions: { code: string } }> } {
  return { errors: [{ message, extensions: { code } }] };
}

/** Answers a refusal with its status and a coded JSON body. */
export function refuse(res: Response, status: number, message: string, code: string): void {
  res.status(status).json(errorBody(message, code));
}

/** Deepest nesting of objects and lists a request's JSON may have; no GreenCart input needs a tenth of it. */
export const MAX_JSON_NESTING = 64;

/** Messages for body-parser's refusals, by its error `type`: fixed texts, so nothing of the body is echoed. */
const BODY_REFUSALS: Record<string, { status: number; message: (limit: number) => string }> = {
  'entity.too.large': { status: 413, message: (limit) => `The request body is larger than ${limit} bytes.` },
  'entity.parse.failed': { status: 400, message: () => 'The request body is not valid JSON (a GraphQL request is a JSON object).' },
  'charset.unsupported': { status: 415, message: () => 'The request body must be JSON in UTF-8.' },
  'encoding.unsupported': { status: 415, message: () => 'The request body must not be compressed with that encoding; send identity, gzip or deflate.' },
  'request.size.invalid': { status: 400, message: () => 'The request body is shorter or longer than its Content-Length.' },
  'request.aborted': { status: 400, message: () => 'The request body was not sent whole.' },
};

/**
 * express.json with every refusal a coded JSON error: a POST that is not JSON 415, bad JSON 400,
 * too large 413, another charset or encoding 415; then the nesting and NUL checks on what was
 * read (for a GET, on its `variables` and `extensions` parameters).
 */
export function readJsonBody(limit: number): RequestHandler {
  const read = express.json({ limit });
  return (req, res, next) => {
    if (req.method === 'POST' && !req.is('application/json')) {
      return refuse(res, 415, 'A GraphQL POST must be JSON (Content-Type: application/json).', 'BAD_REQUEST');
    }
    read(req, res, (error?: unknown) => {
      if (error) {
        const known = BODY_REFUSALS[String((error as { type?: unknown }).type)];
        if (!known) return next(error);
        return refuse(res, known.status, known.message(limit), 'BAD_REQUEST');
      }
      const problem = jsonProblem(req.method === 'GET' ? jsonParameters(req.query) : req.body);
      if (problem === 'too deep') return refuse(res, 400, `The request nests objects or lists deeper than ${MAX_JSON_NESTING} levels.`, 'BAD_REQUEST');
      // PostgreSQL text cannot hold NUL, and no GreenCart input needs it: refuse it once, here.
      if (problem === 'nul') return refuse(res, 400, 'Text in a request must not contain NUL characters.', ErrorCode.BAD_USER_INPUT);
      next();
    });
  };
}

/** A GET's parameters, with its JSON ones (`variables`, `extensions`) read as Apollo will read them. */
function jsonParameters(query: Record<string, unknown>): Record<string, unknown> {
  const read = (value: unknown) => {
    if (typeof value !== 'string') return value;
    try {
      return JSON.parse(value) as unknown;
    } catch {
      return value; // Apollo refuses it with BAD_REQUEST
    }
  };
  return { ...query, variables: read(query.variables), extensions: read(query.extensions) };
}

/**
 * What is wrong with a parsed JSON value, if anything: nested deeper than MAX_JSON_NESTING, or a
 * NUL character in a key or a string. Walked without recursion, so no nesting can overflow the stack.
 */
export function jsonProblem(value: unknown): 'too deep' | 'nul' | undefined {
  const pending: Array<{ value: unknown; depth: number }> = [{ value, depth: 0 }];
  for (let next = pending.pop(); next; next = pending.pop()) {
    const { value: item, depth } = next;
    if (typeof item === 'string') {
      if (item.includes('\u0000')) return 'nul';
    } else if (item !== null && typeof item === 'object') {
      if (depth >= MAX_JSON_NESTING) return 'too deep';
      for (const [key, child] of Object.entries(item)) {
        if (key.includes('\u0000')) return 'nul';
        pending.push({ value: child, depth: depth + 1 });
      }
    }
  }
  return undefined;
}

/**
 * The last handler: an error that reached express is answered as JSON. A client's mistake (a 4xx
 * that express or a body reader raised) is BAD_REQUEST and logged at info; anything else is an
 * unexpected failure, logged with its stack (never with the request's body) and masked.
 */
export function answerUnhandledErrors(logger: Logger): ErrorRequestHandler {
  return (error: unknown, _req, res, _next) => {
    const log = currentRequest()?.logger ?? logger;
    const status = Number((error as { status?: unknown; statusCode?: unknown }).status ?? (error as { statusCode?: unknown }).statusCode);
    const clientMistake = Number.isInteger(status) && status >= 400 && status < 500;
    if (clientMistake) log.info('refused a malformed request', { status, reason: (error as { type?: unknown }).type ?? STATUS_CODES[status] });
    else log.error('unexpected error', errorFields(error));
    if (res.headersSent) return res.end();
    if (clientMistake) refuse(res, status, STATUS_CODES[status] ?? 'Bad request', 'BAD_REQUEST');
    else refuse(res, 500, 'Internal server error', ErrorCode.INTERNAL_SERVER_ERROR);
  };
}

/** How long a refused connection may go on sending before it is closed anyway. */
const DRAIN_MS = 5_000;

/**
 * Answers what Node's HTTP parser refuses before express sees a request: headers over the size
 * limit (431), a request not received within the server's request timeout (408), anything
 * unparsable (400). Each answer is JSON, and the connection is ended gracefully, reading what the
 * client still sends for a moment, so that the client reads the answer instead of a reset.
 */
export function answerClientErrors(server: Server, logger: Logger): void {
  server.on('clientError', (error: NodeJS.ErrnoException, socket: Duplex) => {
    const status = error.code === 'HPE_HEADER_OVERFLOW' ? 431 : error.code === 'ERR_HTTP_REQUEST_TIMEOUT' ? 408 : 400;
    const inFlight = (socket as Duplex & { _httpMessage?: { headersSent?: boolean } })._httpMessage;
    if (error.code === 'ECONNRESET' || !socket.writable || inFlight?.headersSent) {
      socket.destroy();
      return;
    }
    logger.info('refused a malformed HTTP request', { status, reason: error.code });
    const message = status === 431 ? 'The request headers are too large.' : status === 408 ? 'The request was not received in time.' : 'The request is not valid HTTP.';
    const body = JSON.stringify(errorBody(message, 'BAD_REQUEST'));
    socket.end(`HTTP/1.1 ${status} ${STATUS_CODES[status]}\r\nContent-Type: application/json; charset=utf-8\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`);
    socket.on('error', () => {});
    socket.resume();
    setTimeout(() => socket.destroy(), DRAIN_MS).unref();
  });
}

/**
 * Refuses, before anything executes, a request whose document names no operation to run (several
 * without an `operationName`, or an `operationName` that matches none) and a subscription sent
 * over HTTP: each a client's mistake with its own code, not an unexpected failure.
 */
export const operationResolutionPlugin: ApolloServerPlugin<BaseContext> = {
  async requestDidStart() {
    return {
      async didResolveOperation({ operation, request, document }) {
        if (!operation) {
          const named = request.operationName;
          const operations = document.definitions.filter((definition) => definition.kind === Kind.OPERATION_DEFINITION).length;
          const message = named
            ? `Unknown operation named "${named}".`
            : operations > 1
              ? 'Must provide operation name if query contains multiple operations.'
              : 'The document holds no operation to run.';
          throw new GraphQLError(message, { extensions: { code: 'OPERATION_RESOLUTION_FAILURE', http: { status: 400 } } });
        }
        if (operation.operation === 'subscription') {
          throw new GraphQLError('Subscriptions are served over WebSocket at /graphql (the graphql-transport-ws protocol), not over HTTP.', {
            extensions: { code: 'BAD_REQUEST', http: { status: 400 } },
          });
        }
      },
    };
  },
};
