import { expect, vi } from 'vitest';

/** Subscriptions open on a gateway, summed over `field` (its `greencart_subscriptions_active` metric at `metricsUrl`). */
export async function activeSubscriptions(metricsUrl: string): Promise<number> {
  const text = await (await fetch(metricsUrl)).text();
  return [...text.matchAll(/^greencart_subscriptions_active\{[^}]*\} (\d+)$/gm)].reduce((sum, match) => sum + Number(match[1]), 0);
}

/** Waits until the gateway whose `/metrics` is `metricsUrl` holds `count` subscriptions, so that a change made next is one they see. */
export async function subscriptionsOpen(metricsUrl: string, count: number, timeout = 5_000): Promise<void> {
  await vi.waitFor(async () => expect(await activeSubscriptions(metricsUrl)).toBe(count), { timeout });
}
