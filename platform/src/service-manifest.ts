import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import YAML from 'yaml';
import { z } from 'zod';
import { repositoryRoot } from './data-dir.js';

/** The service manifest: Rover's supergraph config with GreenCart's keys beside Rover's (docs/architecture.md). */
export const SERVICE_MANIFEST_FILE = 'supergraph.yaml';
export const serviceManifestPath = join(repositoryRoot, SERVICE_MANIFEST_FILE);

/** The gateway's name in service tokens, keys and the manifest's call lists. */
export const GATEWAY_SERVICE = 'gateway';

/** A service's name: lower case, digits and hyphens, as containers, hosts and Kubernetes objects allow. */
const SERVICE_NAME = /^[a-z][a-z0-9-]{0,39}$/;
/** Names whose `<NAME>_URL` or `<NAME>_PORT` would be a variable GreenCart already reads for something else. */
const RESERVED_NAMES = new Set(['database', 'embedded-postgres', 'jwks', 'public', 'redis', 'metrics', 'service']);
/** An endpoint's name: a camelCase word, as the code that checks it spells it. */
const ENDPOINT_NAME = /^[a-z][A-Za-z0-9]*$/;

/** One subgraph as the manifest describes it. */
export interface SubgraphManifest {
  name: string;
  /** Where the subgraph listens by default (Rover's routing_url). */
  routingUrl: string;
  /** The schema file, relative to the repository. */
  schemaFile: string;
  /** Its npm workspace folder, relative to the repository. */
  workspace: string;
  port: number;
  metricsPort: number;
  /** Its database on the PostgreSQL server. */
  database: string;
  /** Endpoint (`graphql`, `events`, …) → the services that may call it. */
  callers: Readonly<Record<string, readonly string[]>>;
  /** Entity types whose changes it announces on `/events`. */
  liveEntities: readonly string[];
  /**
   * Whether its `/events` tells every change of its public data that the contract's freshness
   * covers (name, price, stock, availability, image, review), by entity: the gateway's cache keeps
   * its answers only while that feed proves itself alive.
   */
  publicChanges: boolean;
  /** Paths the gateway serves by forwarding them to one of this subgraph's endpoints. */
  gatewayRoutes: ReadonlyArray<GatewayRoute>;
  /** Whether it signs customers' tokens and publishes their keys (`JWKS_URL` of every other service). */
  userTokenIssuer: boolean;
  /** Node's flags for every way of running it (its heap budget): npm start, docker-compose, Kubernetes, the bench. */
  nodeFlags: readonly string[];
}

/** The HTTP methods a gateway route may answer: GET, or PUT and POST with a body forwarded under a byte cap. */
export const GATEWAY_ROUTE_METHODS = ['GET', 'PUT', 'POST'] as const;
export type GatewayRouteMethod = (typeof GATEWAY_ROUTE_METHODS)[number];

/** A path the gateway serves by forwarding it, with its method, to one of a subgraph's endpoints. */
export interface GatewayRoute {
  path: string;
  endpoint: string;
  /** GET unless the manifest says otherwise. */
  method: GatewayRouteMethod;
}

/** The gateway as the manifest describes it. */
export interface GatewayManifest {
  name: typeof GATEWAY_SERVICE;
  workspace: string;
  port: number;
  metricsPort: number;
  /** Node's flags for every way of running it (its heap budget). */
  nodeFlags: readonly string[];
}

/**
 * A web app served beside the services (the storefront): a browser app that calls the gateway
 * like any other, from its own origin.
 */
export interface WebAppManifest {
  name: string;
  /** Its npm workspace folder, relative to the repository: a Vite app (its `dev` and `build` scripts). */
  workspace: string;
  port: number;
  /** Its operations by hash (the client preset's persisted documents), which the production safelist runs too. */
  persistedDocuments?: string;
}

export interface ServiceManifest {
  /** The file it was read from (named in messages that say how to change it). */
  file: string;
  gateway: GatewayManifest;
  subgraphs: readonly SubgraphManifest[];
  webApps: readonly WebAppManifest[];
}

/** Raised for a manifest that cannot be read or breaks its rules; the message names each problem. */
export class ServiceManifestError extends Error {
  readonly code = 'SERVICE_MANIFEST_INVALID';
}

const port = z.number().int().min(1).max(65535);
/** Node options such as --max-old-space-size=192: a flag and a plain value, nothing a shell would read. */
const nodeFlags = z.array(z.string().regex(/^--[a-z][a-z0-9-]*(=[A-Za-z0-9._-]+)?$/, 'must be a node flag such as --max-old-space-size=192')).default([]);
const serviceName = z.string().regex(SERVICE_NAME, 'must be lower case letters, digits and hyphens, starting with a letter');
const manifestShape = z.object({
  gateway: z.object({ workspace: z.string().min(1), port, metrics_port: port, node_flags: nodeFlags }),
  subgraphs: z.record(
    serviceName,
    z.object({
      routing_url: z.string().url(),
      schema: z.object({ file: z.string().min(1) }),
      workspace: z.string().min(1),
      port,
      metrics_port: port,
      database: z.string().regex(/^[a-z_][a-z0-9_]{0,62}$/, 'must be a PostgreSQL name in lower case'),
      callers: z.record(z.string().regex(ENDPOINT_NAME, 'must be a camelCase word'), z.array(serviceName)),
      live_entities: z.array(z.string().regex(/^[A-Z][A-Za-z0-9]*$/)).default([]),
      public_changes: z.boolean().default(false),
      gateway_routes: z
        .array(
          z.object({
            path: z.string().regex(/^\/[A-Za-z0-9/:_-]*$/, 'must be an Express path such as /invoices/:id/print'),
            endpoint: z.string(),
            method: z.enum(GATEWAY_ROUTE_METHODS).default('GET'),
          }),
        )
        .default([]),
      user_token_issuer: z.boolean().default(false),
      node_flags: nodeFlags,
    }),
  ),
  web_apps: z
    .record(
      serviceName,
      z.object({
        workspace: z.string().min(1),
        port,
        persisted_documents: z
          .string()
          .regex(/\.json$/, 'must be a JSON file of the workspace, such as ./storefront/src/generated/persisted-documents.json')
          .optional(),
      }),
    )
    .default({}),
});

/** The rules zod cannot see: names that exist, ports and entities that are not taken twice. */
function problemsOf(manifest: ServiceManifest): string[] {
  const problems: string[] = [];
  const names = new Set([GATEWAY_SERVICE, ...manifest.subgraphs.map((subgraph) => subgraph.name)]);
  if (manifest.subgraphs.some((subgraph) => subgraph.name === GATEWAY_SERVICE)) problems.push(`subgraphs.${GATEWAY_SERVICE}: the gateway is no subgraph`);
  for (const subgraph of manifest.subgraphs.filter((subgraph) => RESERVED_NAMES.has(subgraph.name))) {
    problems.push(`subgraphs.${subgraph.name}: its variables (${environmentNameOf(subgraph.name)}_URL, …_PORT) are GreenCart's already: choose another name`);
  }
  const ports = new Map<number, string>();
  const takePort = (value: number, owner: string) => {
    const holder = ports.get(value);
    if (holder) problems.push(`${owner}: port ${value} is ${holder}'s already`);
    else ports.set(value, owner);
  };
  takePort(manifest.gateway.port, 'gateway.port');
  takePort(manifest.gateway.metricsPort, 'gateway.metrics_port');
  const owners = new Map<string, string>();
  const issuers = manifest.subgraphs.filter((subgraph) => subgraph.userTokenIssuer).map((subgraph) => subgraph.name);
  if (issuers.length > 1) problems.push(`user_token_issuer: one subgraph signs customers' tokens, not ${issuers.join(' and ')}`);
  for (const subgraph of manifest.subgraphs) {
    const at = `subgraphs.${subgraph.name}`;
    takePort(subgraph.port, `${at}.port`);
    takePort(subgraph.metricsPort, `${at}.metrics_port`);
    if (Number(new URL(subgraph.routingUrl).port) !== subgraph.port) problems.push(`${at}.routing_url: must use the subgraph's port, ${subgraph.port}`);
    if (!subgraph.callers.graphql?.includes(GATEWAY_SERVICE)) problems.push(`${at}.callers.graphql: must include the gateway, which serves the subgraph's part of the schema`);
    for (const [endpoint, callers] of Object.entries(subgraph.callers)) {
      for (const caller of callers) if (!names.has(caller)) problems.push(`${at}.callers.${endpoint}: ${caller} is no service of this manifest`);
    }
    for (const entity of subgraph.liveEntities) {
      const owner = owners.get(entity);
      if (owner) problems.push(`${at}.live_entities: ${entity} is announced by ${owner} already`);
      else owners.set(entity, subgraph.name);
    }
    if (subgraph.liveEntities.length > 0 && !subgraph.callers.events?.includes(GATEWAY_SERVICE)) problems.push(`${at}.callers.events: must include the gateway, which follows its live_entities`);
    if (subgraph.publicChanges && !subgraph.callers.events?.includes(GATEWAY_SERVICE)) problems.push(`${at}.callers.events: must include the gateway, whose cache follows its public_changes`);
    const routesSeen = new Set<string>();
    for (const route of subgraph.gatewayRoutes) {
      const key = `${route.method} ${route.path}`;
      if (routesSeen.has(key)) problems.push(`${at}.gateway_routes: ${key} is listed twice`);
      routesSeen.add(key);
      if (!subgraph.callers[route.endpoint]?.includes(GATEWAY_SERVICE)) problems.push(`${at}.gateway_routes: ${route.path} forwards to ${route.endpoint}, which must list the gateway in callers`);
    }
  }
  for (const app of manifest.webApps) {
    takePort(app.port, `web_apps.${app.name}.port`);
    if (names.has(app.name)) problems.push(`web_apps.${app.name}: ${app.name} is a service's name already`);
    if (RESERVED_NAMES.has(app.name)) problems.push(`web_apps.${app.name}: its variable (${environmentNameOf(app.name)}_PORT) is GreenCart's already: choose another name`);
  }
  return problems;
}

/** Reads and checks a manifest from YAML text; `file` names it in messages. */
export function parseServiceManifest(text: string, file: string = SERVICE_MANIFEST_FILE): ServiceManifest {
  const parsed = manifestShape.safeParse(YAML.parse(text));
  if (!parsed.success) {
    throw new ServiceManifestError(`${file} is not a valid service manifest:\n${parsed.error.issues.map((issue) => `  ${issue.path.join('.')}: ${issue.message}`).join('\n')}`);
  }
  const { gateway, subgraphs, web_apps: webApps } = parsed.data;
  const manifest: ServiceManifest = {
    file,
    gateway: { name: GATEWAY_SERVICE, workspace: gateway.workspace, port: gateway.port, metricsPort: gateway.metrics_port, nodeFlags: gateway.node_flags },
    subgraphs: Object.entries(subgraphs).map(([name, subgraph]) => ({
      name,
      routingUrl: subgraph.routing_url,
      schemaFile: subgraph.schema.file.replace(/^\.\//, ''),
      workspace: subgraph.workspace,
      port: subgraph.port,
      metricsPort: subgraph.metrics_port,
      database: subgraph.database,
      callers: subgraph.callers,
      liveEntities: subgraph.live_entities,
      publicChanges: subgraph.public_changes,
      gatewayRoutes: subgraph.gateway_routes,
      userTokenIssuer: subgraph.user_token_issuer,
      nodeFlags: subgraph.node_flags,
    })),
    webApps: Object.entries(webApps).map(([name, app]) => ({
      name,
      workspace: app.workspace,
      port: app.port,
      ...(app.persisted_documents ? { persistedDocuments: app.persisted_documents.replace(/^\.\//, '') } : {}),
    })),
  };
  const problems = problemsOf(manifest);
  if (problems.length > 0) throw new ServiceManifestError(`${file} is not a valid service manifest:\n${problems.map((problem) => `  ${problem}`).join('\n')}`);
  return manifest;
}

/** Reads and checks the manifest at `path`. */
export function readServiceManifest(path: string = serviceManifestPath): ServiceManifest {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    throw new ServiceManifestError(`cannot read the service manifest ${path}: ${error instanceof Error ? error.message : String(error)}`);
  }
  return parseServiceManifest(text, path === serviceManifestPath ? SERVICE_MANIFEST_FILE : path);
}

let repositoryManifestRead: ServiceManifest | undefined;

/** The repository's manifest (supergraph.yaml), read once per process on first use. */
export function repositoryManifest(): ServiceManifest {
  repositoryManifestRead ??= readServiceManifest();
  return repositoryManifestRead;
}

/** Every service of a manifest: the gateway first, then the subgraphs in the manifest's order. */
export function serviceNamesOf(manifest: ServiceManifest = repositoryManifest()): string[] {
  return [manifest.gateway.name, ...manifest.subgraphs.map((subgraph) => subgraph.name)];
}

/** The manifest's entry for subgraph `name`, if it has one. */
export function subgraphOf(name: string, manifest: ServiceManifest = repositoryManifest()): SubgraphManifest | undefined {
  return manifest.subgraphs.find((subgraph) => subgraph.name === name);
}

/** Node's flags for a service of the manifest (the gateway or a subgraph): the one place they are set. */
export function nodeFlagsOf(service: string, manifest: ServiceManifest = repositoryManifest()): readonly string[] {
  if (service === manifest.gateway.name) return manifest.gateway.nodeFlags;
  const subgraph = subgraphOf(service, manifest);
  if (!subgraph) throw new ServiceManifestError(`${service} is no service of ${manifest.file}`);
  return subgraph.nodeFlags;
}

/** The subgraph that signs customers' tokens and publishes their keys, if the manifest has one. */
export function userTokenIssuerOf(manifest: ServiceManifest = repositoryManifest()): SubgraphManifest | undefined {
  return manifest.subgraphs.find((subgraph) => subgraph.userTokenIssuer);
}

/** A service's name as environment variables spell it: `inventory-x` → `INVENTORY_X` (as in `INVENTORY_X_URL`). */
export function environmentNameOf(service: string): string {
  return service.toUpperCase().replace(/[^A-Z0-9]/g, '_');
}

/** The variable that tells a caller where `service` listens, such as `ORDERS_URL` (an origin: http://orders:4002). */
export const serviceUrlVariable = (service: string) => `${environmentNameOf(service)}_URL`;
