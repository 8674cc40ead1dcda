/**
 * The gateway's GraphQL endpoint over HTTP (`VITE_GREENCART_URL`, read when Vite serves or builds
 * the app). A path such as `/graphql` means this app's own origin, for a host that serves the app
 * and proxies the gateway under one address.
 */
export const GRAPHQL_HTTP_URL = new URL(import.meta.env.VITE_GREENCART_URL ?? 'http://localhost:4000/graphql', location.href).href;

/** The same endpoint for subscriptions: the gateway serves graphql-transport-ws on `/graphql` too. */
export const GRAPHQL_WS_URL = GRAPHQL_HTTP_URL.replace(/^http/, 'ws');
