/** When `npm start` restarts a service that exited on its own (see scripts/start.ts). */
export interface RestartSettings {
  /** The first restart's delay; each further one doubles it … */
  firstDelayMs: number;
  /** … up to this. */
  maxDelayMs: number;
  /** A run this long counts as healthy: the next crash starts the delays from the first again. */
  healthyAfterMs: number;
  /** Runs in a row that never came up (a port taken, a bad variable) before npm start gives up. */
  maxFailedStarts: number;
}

export const DEFAULT_RESTART_SETTINGS: RestartSettings = { firstDelayMs: 1_000, maxDelayMs: 30_000, healthyAfterMs: 60_000, maxFailedStarts: 3 };

/**
 * One service's restarts: exponential backoff between crashes, reset after a healthy run, and a
 * limit on starts that fail outright, which no waiting will mend.
 */
export class RestartPolicy {
  private crashesInARow = 0;
  private failedStartsInARow = 0;

  constructor(private readonly settings: RestartSettings = DEFAULT_RESTART_SETTINGS) {}

  /** The delay before starting again after a run of `ranForMs` that did (or never did) come up; undefined: give up. */
  afterExit(run: { ranForMs: number; cameUp: boolean }): number | undefined {
    if (run.ranForMs >= this.settings.healthyAfterMs) this.crashesInARow = 0;
    this.failedStartsInARow = run.cameUp ? 0 : this.failedStartsInARow + 1;
    if (this.failedStartsInARow >= this.settings.maxFailedStarts) return undefined;
    this.crashesInARow += 1;
    return Math.min(this.settings.firstDelayMs * 2 ** (this.crashesInARow - 1), this.settings.maxDelayMs);
  }
}
