import type { Express } from 'express';
import type { PublishedKeySet } from '../auth/signing-keys.js';

/** Where accounts publishes its token verification keys (the usual well-known location). */
export const JWKS_PATH = '/.well-known/jwks.json';

/**
 * Serves the published keys to every verifier: public (no service credentials, nothing secret in
 * it) and cacheable for as long as verifiers cache it themselves.
 */
export function jwksRoute(keySet: PublishedKeySet, cacheSeconds: number): (app: Express) => void {
  const body = JSON.stringify(keySet);
  return (app) => {
    app.get(JWKS_PATH, (_req, res) => {
      res.set('Cache-Control', `public, max-age=${cacheSeconds}`).type('application/json').send(body);
    });
  };
}
