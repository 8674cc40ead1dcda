import { AsyncLocalStorage } from 'node:async_hooks';
import { randomUUID } from 'node:crypto';
import type { ServerResponse } from 'node:http';
import type { RequestHandler } from 'express';
import type { Logger } from '../logger.js';

/** The header that names one client request across the gateway and every subgraph it reaches. */
export const REQUEST_ID_HEADER = 'x-request-id';

const SANE_REQUEST_ID = /^[A-Za-z0-9._-]{1,128}$/;

/** The request id to use: the caller's when it looks sane (≤ 128 of `A-Za-z0-9._-`), a new UUID otherwise. */
export function requestIdFrom(incoming: string | undefined): string {
  return incoming !== undefined && SANE_REQUEST_ID.test(incoming) ? incoming : randomUUID();
}

/** What a service knows of the HTTP request it is answering, for its logs and metrics. */
export interface RequestScope {
  readonly requestId: string;
  /** The service's logger, with `requestId` on every line. */
  readonly logger: Logger;
  readonly startedAt: number;
  /** The GraphQL operation's name once Apollo resolved it: null for an anonymous one, undefined before (or never). */
  operationName: string | null | undefined;
  /** `extensions.code` of every error sent in the response. */
  readonly errorCodes: string[];
  /** A subgraph's request asked for `_entities` (another subgraph's data needed its fields). */
  entityFetch?: boolean;
  /** The response being written: an answer sent in parts stops when it closes before it has finished (the client went away). */
  readonly response: Pick<ServerResponse, 'once' | 'off' | 'writableFinished'>;
}

const scopes = new AsyncLocalStorage<RequestScope>();

/** The request being answered, where code has no handle on it (Apollo's formatError). */
export function currentRequest(): RequestScope | undefined {
  return scopes.getStore();
}

/** The scope `requestScope()` opened for this response. */
export function requestScopeOf(res: { locals: Record<string, unknown> }): RequestScope {
  return res.locals.requestScope as RequestScope;
}

/**
 * Gives every request an id (the caller's `x-request-id` when sane, else a UUID), answers it in
 * the same header, and opens its scope (`requestScopeOf(res)`, `currentRequest()`).
 */
export function requestScope(logger: Logger): RequestHandler {
  return (req, res, next) => {
    const requestId = requestIdFrom(req.get(REQUEST_ID_HEADER));
    const scope: RequestScope = { requestId, logger: logger.child({ requestId }), startedAt: performance.now(), operationName: undefined, errorCodes: [], response: res };
    res.locals.requestScope = scope;
    res.set(REQUEST_ID_HEADER, requestId);
    scopes.run(scope, next);
  };
}
