import { describe, expect, it } from 'vitest';
import { RestartPolicy } from '../lib/restart-policy.js';

describe('RestartPolicy', () => {
  const crash = (policy: RestartPolicy, ranForMs = 5_000) => policy.afterExit({ ranForMs, cameUp: true });

  it('waits 1 s, then doubles up to 30 s between crashes', () => {
    const policy = new RestartPolicy();
    expect(Array.from({ length: 8 }, () => crash(policy))).toEqual([1_000, 2_000, 4_000, 8_000, 16_000, 30_000, 30_000, 30_000]);
  });

  it('starts from 1 s again after a healthy minute', () => {
    const policy = new RestartPolicy();
    crash(policy);
    crash(policy);
    expect(crash(policy, 60_000)).toBe(1_000);
    expect(crash(policy)).toBe(2_000);
  });

  it('gives up after three starts in a row that never came up, and only then', () => {
    const policy = new RestartPolicy();
    const failedStart = () => policy.afterExit({ ranForMs: 300, cameUp: false });
    expect(failedStart()).toBe(1_000);
    expect(failedStart()).toBe(2_000);
    expect(crash(policy)).toBe(4_000);
    expect(failedStart()).toBe(8_000);
    expect(failedStart()).toBe(16_000);
    expect(failedStart()).toBeUndefined();
  });
});
