/**
 * What a visitor chose to add before signing in. The cart lives in the API and needs a customer,
 * so the choice is kept in this tab until they sign in or register, then added for real.
 */
const PENDING_KEY = 'greencart.pendingCart';

export interface PendingAddition {
  productId: string;
  quantity: number;
}

export const pendingCart = {
  read(): PendingAddition[] {
    try {
      const stored = JSON.parse(sessionStorage.getItem(PENDING_KEY) ?? '[]') as unknown;
      return Array.isArray(stored) ? (stored as PendingAddition[]) : [];
    } catch {
      return [];
    }
  },
  add(addition: PendingAddition): void {
    sessionStorage.setItem(PENDING_KEY, JSON.stringify([...pendingCart.read(), addition]));
  },
  clear(): void {
    sessionStorage.removeItem(PENDING_KEY);
  },
};
