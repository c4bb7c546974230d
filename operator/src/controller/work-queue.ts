/**
 * A work queue keyed by namespace/name, as client-go's: a key is queued at most once, never handed
 * to two workers at once (a key added while processing is requeued when done), and failures come
 * back after a per-key exponential delay (base and cap are options, so tests use short ones).
 */
export class WorkQueue {
  readonly #queue: string[] = [];
  /** Keys from a (re)list of everything: served only when nothing else waits, so new work is not stuck behind them. */
  readonly #background: string[] = [];
  readonly #queued = new Set<string>();
  readonly #processing = new Set<string>();
  readonly #dirty = new Set<string>();
  readonly #failures = new Map<string, number>();
  readonly #waiters: Array<(key: string | undefined) => void> = [];
  readonly #timers = new Set<NodeJS.Timeout>();
  readonly #baseDelayMs: number;
  readonly #maxDelayMs: number;
  #shutDown = false;

  constructor(options: { baseDelayMs?: number; maxDelayMs?: number } = {}) {
    this.#baseDelayMs = options.baseDelayMs ?? 5;
    this.#maxDelayMs = options.maxDelayMs ?? 300_000;
  }

  get length(): number {
    return this.#queue.length + this.#background.length;
  }

  /** Queues a key behind all other work (an initial list, a periodic resync). */
  addBackground(key: string): void {
    if (this.#shutDown || this.#processing.has(key) || this.#queued.has(key)) return;
    if (this.#waiters.length > 0) {
      this.add(key);
      return;
    }
    this.#queued.add(key);
    this.#background.push(key);
  }

  add(key: string): void {
    if (this.#shutDown) return;
    if (this.#processing.has(key)) {
      this.#dirty.add(key);
      return;
    }
    if (this.#queued.has(key)) {
      // Already waiting in the background lane: new work moves it to the front lane.
      const index = this.#background.indexOf(key);
      if (index >= 0) {
        this.#background.splice(index, 1);
        this.#queue.push(key);
      }
      return;
    }
    const waiter = this.#waiters.shift();
    if (waiter) {
      this.#processing.add(key);
      waiter(key);
      return;
    }
    this.#queued.add(key);
    this.#queue.push(key);
  }

  /** Resolves with the next key, or undefined once shut down. */
  get(): Promise<string | undefined> {
    const key = this.#queue.shift() ?? this.#background.shift();
    if (key !== undefined) {
      this.#queued.delete(key);
      this.#processing.add(key);
      return Promise.resolve(key);
    }
    if (this.#shutDown) return Promise.resolve(undefined);
    return new Promise((resolve) => this.#waiters.push(resolve));
  }

  done(key: string): void {
    this.#processing.delete(key);
    if (this.#dirty.delete(key)) this.add(key);
  }

  /** Counts one more failure of `key` and returns the delay before its retry: base × 2^(failures-1), capped. */
  recordFailure(key: string): number {
    const failures = this.#failures.get(key) ?? 0;
    this.#failures.set(key, failures + 1);
    return Math.min(this.#maxDelayMs, this.#baseDelayMs * 2 ** failures);
  }

  addRateLimited(key: string): void {
    const timer = setTimeout(() => {
      this.#timers.delete(timer);
      this.add(key);
    }, this.recordFailure(key));
    this.#timers.add(timer);
  }

  forget(key: string): void {
    this.#failures.delete(key);
  }

  shutDown(): void {
    this.#shutDown = true;
    for (const t of this.#timers) clearTimeout(t);
    for (const w of this.#waiters.splice(0)) w(undefined);
  }
}
