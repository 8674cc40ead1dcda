/** The four GreenCart processes, as they name themselves in service tokens. */
export const SERVICE_NAMES = ['gateway', 'accounts', 'orders', 'products'] as const;
export type ServiceName = (typeof SERVICE_NAMES)[number];

/**
 * Who may call whom: for each service, what it serves to other GreenCart services and which of
 * them may call it. Receivers load the public keys of these callers only, and check the list
 * for each endpoint; a service that is nobody's caller holds no service key at all.
 */
export const SERVICE_CALLS = {
  accounts: {
    /** GraphQL: the public schema's accounts part (gateway), and addresses, cards and customers that orders reads as entities. */
    graphql: ['gateway', 'orders'],
    /** A card's processor token, which only orders needs to charge it. */
    processorToken: ['orders'],
  },
  orders: {
    graphql: ['gateway'],
    /** `GET /events`, the change feed the gateway's subscriptions follow. */
    events: ['gateway'],
    /** `GET /invoices/:id/print`, forwarded by the gateway. */
    invoicePrint: ['gateway'],
  },
  products: {
    /** GraphQL: the public schema's catalogue part (gateway), and the catalogue reads and stock operations of orders. */
    graphql: ['gateway', 'orders'],
    events: ['gateway'],
    /** `reserveStock` and `releaseStock`. */
    stockOperations: ['orders'],
  },
  gateway: {},
} as const satisfies Record<ServiceName, Record<string, readonly ServiceName[]>>;

/** Something a service serves to other GreenCart services (`graphql`, `events`, …). */
export type ServiceEndpoint = { [Service in ServiceName]: keyof (typeof SERVICE_CALLS)[Service] }[ServiceName];

/** Whether `caller` may call `service`'s `endpoint`; false for an unknown caller or an endpoint the service does not have. */
export function mayCall(caller: ServiceName | undefined, service: ServiceName, endpoint: ServiceEndpoint): boolean {
  if (!caller) return false;
  const endpoints: Partial<Record<ServiceEndpoint, readonly ServiceName[]>> = SERVICE_CALLS[service];
  return endpoints[endpoint]?.includes(caller) ?? false;
}

/** The services that may call `service` at all: the public keys it needs. */
export function callersOf(service: ServiceName): ServiceName[] {
  const endpoints: Record<string, readonly ServiceName[]> = SERVICE_CALLS[service];
  return SERVICE_NAMES.filter((caller) => Object.values(endpoints).some((callers) => callers.includes(caller)));
}

/** The services `service` calls: the audiences of its tokens (none means it needs no key). */
export function calleesOf(service: ServiceName): ServiceName[] {
  return SERVICE_NAMES.filter((callee) => callersOf(callee).includes(service));
}

/** Raised for a name that is none of GreenCart's services (a subgraph missing from SERVICE_NAMES). */
export class UnknownServiceError extends Error {
  readonly code = 'UNKNOWN_SERVICE';
}

/** A subgraph's name in the supergraph, as the service its calls are addressed to. */
export function serviceNamed(name: string): ServiceName {
  const service = SERVICE_NAMES.find((known) => known === name);
  if (!service) throw new UnknownServiceError(`${name} is not a GreenCart service (${SERVICE_NAMES.join(', ')})`);
  return service;
}
