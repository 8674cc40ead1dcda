import { repositoryManifest, serviceNamesOf, type ServiceManifest } from '../service-manifest.js';

/**
 * A GreenCart process as it names itself in service tokens: the gateway or a subgraph of the
 * service manifest (supergraph.yaml). Names are data, checked against the manifest where they
 * come in (`serviceNamed`), so a new subgraph needs no change here.
 */
export type ServiceName = string;

/** Something a service serves to other GreenCart services (`graphql`, `events`, …), as the manifest's `callers` names it. */
export type ServiceEndpoint = string;

/** Endpoint → callers of `service`; the gateway serves nothing to other services. */
function endpointsOf(service: ServiceName, manifest: ServiceManifest): Readonly<Record<string, readonly ServiceName[]>> {
  return manifest.subgraphs.find((subgraph) => subgraph.name === service)?.callers ?? {};
}

/**
 * Whether `caller` may call `service`'s `endpoint` (the manifest's `callers`); false for an
 * unknown caller or an endpoint the service does not have.
 */
export function mayCall(caller: ServiceName | undefined, service: ServiceName, endpoint: ServiceEndpoint, manifest: ServiceManifest = repositoryManifest()): boolean {
  if (!caller) return false;
  return endpointsOf(service, manifest)[endpoint]?.includes(caller) ?? false;
}

/** The services that may call `service` at all: the public keys it needs. */
export function callersOf(service: ServiceName, manifest: ServiceManifest = repositoryManifest()): ServiceName[] {
  const endpoints = Object.values(endpointsOf(service, manifest));
  return serviceNamesOf(manifest).filter((caller) => endpoints.some((callers) => callers.includes(caller)));
}

/** The services `service` calls: the audiences of its tokens (none means it needs no key). */
export function calleesOf(service: ServiceName, manifest: ServiceManifest = repositoryManifest()): ServiceName[] {
  return serviceNamesOf(manifest).filter((callee) => callersOf(callee, manifest).includes(service));
}

/** Every service that calls another: those holding a key of their own, whose public keys others load. */
export function callingServices(manifest: ServiceManifest = repositoryManifest()): ServiceName[] {
  return serviceNamesOf(manifest).filter((service) => calleesOf(service, manifest).length > 0);
}

/** Raised for a name that is none of the manifest's services (a subgraph missing from supergraph.yaml). */
export class UnknownServiceError extends Error {
  readonly code = 'UNKNOWN_SERVICE';
}

/** A subgraph's name in the supergraph, as the service its calls are addressed to. */
export function serviceNamed(name: string, manifest: ServiceManifest = repositoryManifest()): ServiceName {
  const names = serviceNamesOf(manifest);
  if (!names.includes(name)) throw new UnknownServiceError(`${name} is not a GreenCart service of ${manifest.file} (${names.join(', ')})`);
  return name;
}
