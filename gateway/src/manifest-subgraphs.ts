import { Kind, parse, type ConstArgumentNode } from 'graphql';
import type { ServiceManifest } from '@greencart/platform';

/** Raised at start for a supergraph holding a subgraph the service manifest does not name. */
export class UnlistedSubgraphError extends Error {
  readonly code = 'SUBGRAPH_NOT_IN_MANIFEST';
}

/** The subgraphs a composed supergraph routes to: the names of its `join__Graph` enum's `@join__graph`s. */
export function subgraphsOfSupergraph(supergraphSdl: string): string[] {
  const graphs = parse(supergraphSdl).definitions.find((definition) => definition.kind === Kind.ENUM_TYPE_DEFINITION && definition.name.value === 'join__Graph');
  if (graphs?.kind !== Kind.ENUM_TYPE_DEFINITION) return [];
  const nameOf = (argument: ConstArgumentNode | undefined) => (argument?.value.kind === Kind.STRING ? argument.value.value : undefined);
  return (graphs.values ?? []).flatMap((value) => {
    const name = nameOf(value.directives?.find((directive) => directive.name.value === 'join__graph')?.arguments?.find((argument) => argument.name.value === 'name'));
    return name ? [name] : [];
  });
}

/**
 * Checks that the manifest names every subgraph of the supergraph, so each one has its callers,
 * its service key's audience and its address; the message says how to add one that is missing.
 */
export function checkSubgraphsListed(supergraphSdl: string, manifest: ServiceManifest): string[] {
  const subgraphs = subgraphsOfSupergraph(supergraphSdl);
  const unlisted = subgraphs.filter((name) => !manifest.subgraphs.some((subgraph) => subgraph.name === name));
  if (unlisted.length > 0) {
    const names = unlisted.join(', ');
    throw new UnlistedSubgraphError(
      `The supergraph has ${unlisted.length === 1 ? 'a subgraph' : 'subgraphs'} that ${manifest.file} does not name: ${names}. ` +
        `Add ${unlisted.length === 1 ? 'it' : 'each'} under \`subgraphs:\` in ${manifest.file} with routing_url, schema.file, workspace, port, metrics_port, database ` +
        `and callers (at least \`graphql: [gateway]\`), then run \`npm run compose\` (docs/architecture.md, "The service manifest").`,
    );
  }
  return subgraphs;
}
