/**
 * At most `limit` tasks at once; the rest wait their turn in order. Resizing is CPU work in
 * libvips' threads: unbounded, a burst of first requests for new sizes would take every core.
 */
export class ConcurrencyLimit {
  private running = 0;
  private readonly waiting: Array<() => void> = [];

  constructor(private readonly limit: number) {
    if (!Number.isInteger(limit) || limit < 1) throw new RangeError(`A concurrency limit must be a whole number of at least 1, not ${limit}`);
  }

  async run<Value>(task: () => Promise<Value>): Promise<Value> {
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
