/**
 * The demo's shoppers, shared by the two subgraphs that seed them: accounts creates them as
 * customers, orders gives them an order history. Their ids are fixed so that neither subgraph has
 * to ask the other for them; they cannot sign in (no password is theirs).
 */
export interface DemoShopper {
  id: string;
  name: string;
  email: string;
}

const names = [
  'Amara Okafor',
  'Ben Fischer',
  'Chloé Martin',
  'Dev Patel',
  'Elena Rossi',
  'Felix Wagner',
  'Grace Kim',
  'Hugo Laurent',
  'Ines Costa',
  'Jonas Berg',
  'Keiko Tanaka',
  'Liam Murphy',
  'Maya Cohen',
  'Noah Schmidt',
  'Olivia Brown',
  'Pablo García',
  'Quinn Taylor',
  'Rosa Lindqvist',
  'Samir Haddad',
  'Tara Singh',
  'Umar Farouk',
  'Vera Novak',
  'Wen Li',
  'Yara Santos',
];

export const demoShoppers: readonly DemoShopper[] = names.map((name, index) => ({
  id: `d3a0c0de-0000-4000-8000-${String(index + 1).padStart(12, '0')}`,
  name,
  email: `${name
    .split(' ')[0]!
    .normalize('NFD')
    .replace(/[^a-zA-Z]/g, '')
    .toLowerCase()}@shoppers.greencart.dev`,
}));

/**
 * A small deterministic random generator (mulberry32), so that demo data drawn from a fixed seed is
 * the same on every fresh start. Enough for demo data; never for anything secret.
 */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}

/**
 * Asks a sibling service until it answers, for demo data seeded from another subgraph's (which may
 * still be starting): the answer, or undefined once `waitMs` has passed without one.
 */
export async function askUntilAnswered<T>(ask: () => Promise<T>, waitMs: number, retryMs = 500): Promise<T | undefined> {
  const deadline = Date.now() + waitMs;
  for (;;) {
    try {
      return await ask();
    } catch {
      if (Date.now() > deadline) return undefined;
      await new Promise((resolve) => setTimeout(resolve, retryMs));
    }
  }
}
