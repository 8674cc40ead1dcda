/// <reference types="vite/client" />

interface ImportMetaEnv {
  /** The gateway's GraphQL endpoint; the WebSocket for live updates is the same address. */
  readonly VITE_GREENCART_URL?: string;
}

interface ImportMeta {
  readonly env: ImportMetaEnv;
}
