import { readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse } from 'graphql';
import { composeServices } from '@apollo/composition';
import { printSchema as printFederationSchema, Supergraph } from '@apollo/federation-internals';
import YAML from 'yaml';
import { z } from 'zod';

export const repositoryRoot = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
export const supergraphConfigPath = join(repositoryRoot, 'supergraph.yaml');
export const supergraphSchemaPath = join(repositoryRoot, 'supergraph.graphql');
/** What clients see: the supergraph's API schema (no federation machinery, nothing @inaccessible). */
export const apiSchemaPath = join(repositoryRoot, 'client', 'schema.graphql');
/** The gateway's copy for Kubernetes: kustomize reads files only inside its kustomization. */
export const kubernetesSupergraphPath = join(repositoryRoot, 'deploy', 'kubernetes', 'base', 'gateway', 'supergraph.graphql');

const roverConfig = z.object({
  federation_version: z.string(),
  subgraphs: z.record(z.object({ routing_url: z.string().url(), schema: z.object({ file: z.string() }) })),
});

/** The subgraphs that supergraph.yaml names, with their schemas read from disk. */
export function readSupergraphConfig(path = supergraphConfigPath) {
  const config = roverConfig.parse(YAML.parse(readFileSync(path, 'utf8')));
  return Object.entries(config.subgraphs).map(([name, subgraph]) => ({
    name,
    url: subgraph.routing_url,
    typeDefs: parse(readFileSync(resolve(dirname(path), subgraph.schema.file), 'utf8')),
  }));
}

/** Composes supergraph.yaml as Rover would; errors are returned, not thrown. */
export function composeSupergraph(path = supergraphConfigPath): { supergraphSdl?: string; errors: string[]; hints: string[] } {
  const result = composeServices(readSupergraphConfig(path));
  const hints = (result.hints ?? []).map((hint) => hint.toString());
  if (result.errors) return { errors: result.errors.map((error) => error.message), hints };
  return { supergraphSdl: result.supergraphSdl, errors: [], hints };
}

/**
 * `@defer` as the gateway serves it (contract: Incremental delivery), in the API schema so that
 * clients' tools (validators, editors, code generators) accept the operations that use it.
 */
const DEFER_DIRECTIVE = `"""
Sends this fragment in a later part of the answer, for a client whose Accept lists
multipart/mixed;deferSpec=20220824; whole in one answer otherwise, or when \`if\` is false.
"""
directive @defer(label: String, if: Boolean! = true) on FRAGMENT_SPREAD | INLINE_FRAGMENT`;

/** The API schema of a composed supergraph, as SDL with descriptions, with the @defer the gateway runs. */
export function apiSchemaOf(supergraphSdl: string): string {
  return `${DEFER_DIRECTIVE}\n\n${printFederationSchema(Supergraph.build(supergraphSdl).apiSchema())}\n`;
}
