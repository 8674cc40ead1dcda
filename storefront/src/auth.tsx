import { createContext, useCallback, useContext, useEffect, useMemo, useState, type ReactNode } from 'react';

const TOKEN_KEY = 'greencart.token';

/** Seconds since the epoch at which a JWT expires, or undefined when it cannot be read. */
function expiryOf(token: string): number | undefined {
  try {
    const payload = JSON.parse(atob(token.split('.')[1]!.replace(/-/g, '+').replace(/_/g, '/'))) as { exp?: unknown };
    return typeof payload.exp === 'number' ? payload.exp : undefined;
  } catch {
    return undefined;
  }
}

const isExpired = (token: string) => {
  const exp = expiryOf(token);
  return exp !== undefined && exp * 1000 <= Date.now();
};

/**
 * Where the token lives between visits. Links outside React (the Apollo links, the WebSocket's
 * connection parameters) read it here, so that they always send the current one.
 */
export const tokenStore = {
  read(): string | null {
    const token = localStorage.getItem(TOKEN_KEY);
    if (token && isExpired(token)) {
      localStorage.removeItem(TOKEN_KEY);
      return null;
    }
    return token;
  },
  write(token: string | null): void {
    if (token) localStorage.setItem(TOKEN_KEY, token);
    else localStorage.removeItem(TOKEN_KEY);
    for (const listener of tokenListeners) listener(token);
  },
  subscribe(listener: (token: string | null) => void): () => void {
    tokenListeners.add(listener);
    return () => tokenListeners.delete(listener);
  },
};
const tokenListeners = new Set<(token: string | null) => void>();

interface Auth {
  token: string | null;
  signedIn: boolean;
  signIn(token: string): void;
  signOut(): void;
}

const AuthContext = createContext<Auth | null>(null);

/** The signed-in state for the whole app: the token, kept until sign-out, expiry or a refusal from the API. */
export function AuthProvider({ children }: { children: ReactNode }) {
  const [token, setToken] = useState(() => tokenStore.read());
  useEffect(() => tokenStore.subscribe(setToken), []);

  // Signed out when the token expires, even on a page left open.
  useEffect(() => {
    const exp = token ? expiryOf(token) : undefined;
    if (exp === undefined) return;
    const timer = setTimeout(() => tokenStore.write(null), Math.max(0, exp * 1000 - Date.now()));
    return () => clearTimeout(timer);
  }, [token]);

  // Another tab signing in or out.
  useEffect(() => {
    const onStorage = (event: StorageEvent) => event.key === TOKEN_KEY && setToken(tokenStore.read());
    addEventListener('storage', onStorage);
    return () => removeEventListener('storage', onStorage);
  }, []);

  const signIn = useCallback((next: string) => tokenStore.write(next), []);
  const signOut = useCallback(() => tokenStore.write(null), []);
  const value = useMemo(() => ({ token, signedIn: token !== null, signIn, signOut }), [token, signIn, signOut]);
  return <AuthContext.Provider value={value}>{children}</AuthContext.Provider>;
}

export function useAuth(): Auth {
  const auth = useContext(AuthContext);
  if (!auth) throw new Error('useAuth needs an AuthProvider above it');
  return auth;
}
