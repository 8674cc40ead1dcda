import { expect, vi } from 'vitest';

/** Subscriptions open on a gateway, summed over `field` (its `greencart_subscriptions_active` metric). */
export async function activeSubscriptions(gatewayUrl: string): Promise<number> {
  const text = await (await fetch(`${gatewayUrl}/metrics`)).text();
  return [...text.matchAll(/^greencart_subscriptions_active\{[^}]*\} (\d+)$/gm)].reduce((sum, match) => sum + Number(match[1]), 0);
}

/** Waits until the gateway holds `count` subscriptions, so that a change made next is one they see. */
export async function subscriptionsOpen(gatewayUrl: string, count: number, timeout = 5_000): Promise<void> {
  await vi.waitFor(async () => expect(await activeSubscriptions(gatewayUrl)).toBe(count), { timeout });
}
