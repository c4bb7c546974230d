import type { Informer, KubernetesObject } from "@kubernetes/client-node";
import type { Logger } from "pino";

/**
 * Informers kept running: one that stops on an error is restarted with backoff (client-node relists by
 * itself only on 410 Gone). client-node emits "connect" before it lists, and start() resolves even when
 * the list failed (it emits "error" instead): an informer counts as listed once a start() ends with no
 * error.
 */
export class SupervisedInformers {
  readonly #informers: ReadonlyMap<string, Informer<KubernetesObject>>;
  readonly #listed = new Set<string>();
  readonly #failed = new Set<string>();
  #stopped = false;

  constructor(informers: Record<string, Informer<KubernetesObject>>, logger: Logger) {
    this.#informers = new Map(Object.entries(informers));
    for (const [name, informer] of this.#informers) {
      let delayMs = 500;
      informer.on("connect", () => {
        delayMs = 500;
      });
      informer.on("error", (error) => {
        this.#failed.add(name);
        if (this.#stopped) return;
        logger.warn({ err: error, informer: name, retryInMs: delayMs }, "informer stopped; restarting");
        setTimeout(() => {
          if (!this.#stopped) void this.#startListing(name, informer);
        }, delayMs).unref();
        delayMs = Math.min(delayMs * 2, 30_000);
      });
    }
  }

  /** The first list of every informer; resolves when each has listed or failed (and is being retried). */
  async start(): Promise<void> {
    await Promise.all([...this.#informers].map(([name, informer]) => this.#startListing(name, informer)));
  }

  /** This informer has listed at least once: what it lists from now on is news. */
  hasListed(name: string): boolean {
    return this.#listed.has(name);
  }

  /** Every informer has listed at least once. */
  allListed(): boolean {
    return this.#listed.size === this.#informers.size;
  }

  /** Every informer has listed and none has failed since: their caches follow the API server. */
  current(): boolean {
    return this.allListed() && this.#failed.size === 0;
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    await Promise.all([...this.#informers.values()].map((informer) => informer.stop()));
  }

  async #startListing(name: string, informer: Informer<KubernetesObject>): Promise<void> {
    this.#failed.delete(name);
    await informer.start().catch(() => this.#failed.add(name));
    if (!this.#failed.has(name) && !this.#stopped) this.#listed.add(name);
  }
}
