import { forbidden, unauthenticated } from '../errors.js';
import type { AuthenticatedUser } from './user-tokens.js';

/** The signed-in user, or UNAUTHENTICATED. */
export function requireUser(user: AuthenticatedUser | undefined): AuthenticatedUser {
  if (!user) throw unauthenticated();
  return user;
}

/** The signed-in admin: UNAUTHENTICATED when anonymous, FORBIDDEN for a customer. */
export function requireAdmin(user: AuthenticatedUser | undefined): AuthenticatedUser {
  const signedIn = requireUser(user);
  if (signedIn.role !== 'ADMIN') throw forbidden('Only administrators can do this.');
  return signedIn;
}
