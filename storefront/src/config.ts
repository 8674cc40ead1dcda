/** The gateway's GraphQL endpoint over HTTP (`VITE_GREENCART_URL`, read when Vite serves or builds the app). */
export const GRAPHQL_HTTP_URL = import.meta.env.VITE_GREENCART_URL ?? 'http://localhost:4000/graphql';

/** The same endpoint for subscriptions: the gateway serves graphql-transport-ws on `/graphql` too. */
export const GRAPHQL_WS_URL = GRAPHQL_HTTP_URL.replace(/^http/, 'ws');
