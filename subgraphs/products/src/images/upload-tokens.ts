import { createHash, randomBytes } from 'node:crypto';

/** How long an upload URL works, as the contract says. */
export const UPLOAD_URL_SECONDS = 15 * 60;

/**
 * A new upload token: 256 random bits for the URL, and the SHA-256 the database keeps. The token is
 * as unguessable as a signature, and needs no secret shared by the replicas: whichever process
 * receives the bytes finds the upload by its token's hash.
 */
export function newUploadToken(): { token: string; tokenHash: string } {
  const token = randomBytes(32).toString('base64url');
  return { token, tokenHash: uploadTokenHash(token) };
}

/** The hash an upload token is kept as. */
export function uploadTokenHash(token: string): string {
  return createHash('sha256').update(token).digest('hex');
}
