import type { Express, RequestHandler } from 'express';
import type { GatewayRouteMethod, ServiceCredentials, ServiceManifest } from '@greencart/platform';
import { invoicePrintForward } from './invoice-print-forward.js';
import { subgraphForward } from './subgraph-forward.js';

/** What a forward needs: the route, where its subgraph listens now, and how to prove the gateway to it. */
interface ForwardOptions {
  subgraph: string;
  pattern: string;
  method: GatewayRouteMethod;
  /** The most body bytes a PUT or POST forwards. */
  maxBodyBytes: number;
  url: () => string | undefined;
  credentials: ServiceCredentials;
  timeoutMs: number;
}

/**
 * Forwards of their own, by the endpoint they call; every other route gets subgraphForward (the
 * same path on the subgraph, its parameters checked). Either builds the subgraph's URL from parts
 * it has checked, never from the request's own URL.
 */
const OWN_FORWARDS: Record<string, (options: ForwardOptions) => RequestHandler> = {
  invoicePrint: ({ subgraph, url, credentials, timeoutMs }) => invoicePrintForward({ subgraph, url, credentials, timeoutMs }),
};

/** A path the gateway serves with a method, and the handler that forwards it. */
export interface SubgraphRoute {
  path: string;
  method: GatewayRouteMethod;
  handler: RequestHandler;
}

/** The manifest's `gateway_routes` of the subgraphs in the supergraph, each with its forward. */
export function subgraphRoutes(
  manifest: ServiceManifest,
  subgraphs: readonly string[],
  options: Omit<ForwardOptions, 'subgraph' | 'pattern' | 'method' | 'url'> & {
    urlOf: (subgraph: string) => string | undefined;
    /** The deadline of a forward with a body (PUT, POST): sending it and the subgraph's work on it, such as an image's checks. */
    bodyTimeoutMs: number;
  },
): SubgraphRoute[] {
  return manifest.subgraphs
    .filter((subgraph) => subgraphs.includes(subgraph.name))
    .flatMap((subgraph) =>
      subgraph.gatewayRoutes.map((route) => {
        const forward = OWN_FORWARDS[route.endpoint] ?? subgraphForward;
        const settings = {
          subgraph: subgraph.name,
          pattern: route.path,
          method: route.method,
          maxBodyBytes: options.maxBodyBytes,
          url: () => options.urlOf(subgraph.name),
          credentials: options.credentials,
          timeoutMs: route.method === 'GET' ? options.timeoutMs : Math.max(options.timeoutMs, options.bodyTimeoutMs),
        };
        return { path: route.path, method: route.method, handler: forward(settings) };
      }),
    );
}

/** Mounts routes made by subgraphRoutes, each for its own method (a GET route also answers HEAD, as Express does). */
export function mountSubgraphRoutes(app: Express, routes: readonly SubgraphRoute[]): void {
  for (const route of routes) {
    if (route.method === 'PUT') app.put(route.path, route.handler);
    else if (route.method === 'POST') app.post(route.path, route.handler);
    else app.get(route.path, route.handler);
  }
}
