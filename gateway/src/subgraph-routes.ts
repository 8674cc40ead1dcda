import type { Express, RequestHandler } from 'express';
import type { ServiceCredentials, ServiceManifest } from '@greencart/platform';
import { invoicePrintForward } from './invoice-print-forward.js';

/** What a forward needs: where its subgraph listens now, and how to prove the gateway to it. */
interface ForwardOptions {
  subgraph: string;
  url: () => string | undefined;
  credentials: ServiceCredentials;
  timeoutMs: number;
}

/**
 * The forwards the gateway has, by the endpoint they call. Each builds the subgraph's URL from
 * the parts it has checked (never from the request's own URL), which is why a new kind of route
 * needs a forward here before the manifest can name it.
 */
const FORWARDS: Record<string, (options: ForwardOptions) => RequestHandler> = {
  invoicePrint: ({ url, credentials, timeoutMs }) => invoicePrintForward({ ordersUrl: url, credentials, timeoutMs }),
};

/** Raised at start for a manifest route whose endpoint the gateway has no forward for. */
export class UnknownGatewayRouteError extends Error {
  readonly code = 'GATEWAY_ROUTE_UNKNOWN';
}

/** The manifest's `gateway_routes` of the subgraphs in the supergraph, each with its forward; throws for one the gateway cannot serve. */
export function subgraphRoutes(manifest: ServiceManifest, subgraphs: readonly string[], options: Omit<ForwardOptions, 'subgraph' | 'url'> & { urlOf: (subgraph: string) => string | undefined }) {
  return manifest.subgraphs
    .filter((subgraph) => subgraphs.includes(subgraph.name))
    .flatMap((subgraph) =>
      subgraph.gatewayRoutes.map((route) => {
        const forward = FORWARDS[route.endpoint];
        if (!forward) {
          throw new UnknownGatewayRouteError(
            `${manifest.file}: subgraphs.${subgraph.name}.gateway_routes names ${route.path} → ${route.endpoint}, which the gateway has no forward for (known: ${Object.keys(FORWARDS).join(', ')}; see gateway/src/subgraph-routes.ts)`,
          );
        }
        return { path: route.path, handler: forward({ subgraph: subgraph.name, url: () => options.urlOf(subgraph.name), credentials: options.credentials, timeoutMs: options.timeoutMs }) };
      }),
    );
}

/** Mounts routes made by subgraphRoutes. */
export function mountSubgraphRoutes(app: Express, routes: ReadonlyArray<{ path: string; handler: RequestHandler }>): void {
  for (const route of routes) app.get(route.path, route.handler);
}
