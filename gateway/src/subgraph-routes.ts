import type { Express, RequestHandler } from 'express';
import type { ServiceCredentials, ServiceManifest } from '@greencart/platform';
import { invoicePrintForward } from './invoice-print-forward.js';
import { subgraphForward } from './subgraph-forward.js';

/** What a forward needs: the route, where its subgraph listens now, and how to prove the gateway to it. */
interface ForwardOptions {
  subgraph: string;
  pattern: string;
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

/** A path the gateway serves, and the handler that forwards it. */
export interface SubgraphRoute {
  path: string;
  handler: RequestHandler;
}

/** The manifest's `gateway_routes` of the subgraphs in the supergraph, each with its forward. */
export function subgraphRoutes(manifest: ServiceManifest, subgraphs: readonly string[], options: Omit<ForwardOptions, 'subgraph' | 'pattern' | 'url'> & { urlOf: (subgraph: string) => string | undefined }): SubgraphRoute[] {
  return manifest.subgraphs
    .filter((subgraph) => subgraphs.includes(subgraph.name))
    .flatMap((subgraph) =>
      subgraph.gatewayRoutes.map((route) => {
        const forward = OWN_FORWARDS[route.endpoint] ?? subgraphForward;
        const settings = { subgraph: subgraph.name, pattern: route.path, url: () => options.urlOf(subgraph.name), credentials: options.credentials, timeoutMs: options.timeoutMs };
        return { path: route.path, handler: forward(settings) };
      }),
    );
}

/** Mounts routes made by subgraphRoutes. */
export function mountSubgraphRoutes(app: Express, routes: readonly SubgraphRoute[]): void {
  for (const route of routes) app.get(route.path, route.handler);
}
