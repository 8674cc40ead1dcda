/** Raised by ConcurrencyLimit.run when `maxWaiting` tasks wait already: the caller says "busy" at once. */
export class ConcurrencyLimitFull extends Error {
  override name = 'ConcurrencyLimitFull';
}

/**
 * At most `limit` tasks at once; the rest wait their turn in order, at most `maxWaiting` of them.
 * Resizing is CPU work in libvips' threads: unbounded, a burst of first requests for new sizes
 * would take every core; and a queue without end would keep its last callers waiting past any
 * timeout, for sizes their clients have given up on.
 */
export class ConcurrencyLimit {
  private running = 0;
  private readonly waiting: Array<() => void> = [];

  constructor(
    private readonly limit: number,
    private readonly maxWaiting = Number.POSITIVE_INFINITY,
  ) {
    if (!Number.isInteger(limit) || limit < 1) throw new RangeError(`A concurrency limit must be a whole number of at least 1, not ${limit}`);
  }

  async run<Value>(task: () => Promise<Value>): Promise<Value> {
    if (this.running >= this.limit && this.waiting.length >= this.maxWaiting) throw new ConcurrencyLimitFull(`${this.running} running and ${this.waiting.length} waiting`);
    if (this.running >= this.limit) await new Promise<void>((resolve) => this.waiting.push(resolve));
    else this.running += 1;
    try {
      return await task();
    } finally {
      const next = this.waiting.shift();
      // The slot passes straight to the next task, so `running` never drops below what runs.
      if (next) next();
      else this.running -= 1;
    }
  }
}
