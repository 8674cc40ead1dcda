import { repositoryManifest } from '@greencart/platform';

/** The GreenCart processes these tests start, in the order a deployment starts them. */
export const SERVICES = ['products', 'accounts', 'orders', 'reviews', 'gateway'] as const;
export type Service = (typeof SERVICES)[number];

/** Each one's entry point (run through tsx), from its workspace in the service manifest (supergraph.yaml). */
export const ENTRY = Object.fromEntries(
  SERVICES.map((service) => {
    const manifest = repositoryManifest();
    const workspace = service === manifest.gateway.name ? manifest.gateway.workspace : manifest.subgraphs.find((subgraph) => subgraph.name === service)?.workspace;
    if (!workspace) throw new Error(`${service} is not in supergraph.yaml: the tests that start processes need it`);
    return [service, `${workspace}/src/index.ts`];
  }),
) as Record<Service, string>;
