import type { JsonRpcId } from "../mcp/jsonrpc.js";

export interface PendingRequest {
  method: string;
  toolName: string | undefined;
  startedAt: number;
  exchangeId: number;
}

/**
 * Requests waiting for their JSON-RPC response, keyed by the stream scope they can be answered in
 * (the session, or the exchange itself when there is none) and the request id. Bounded: when full,
 * the oldest entry is handed back to be recorded as unanswered.
 */
export class PendingRequests {
  readonly #entries = new Map<string, PendingRequest>();
  readonly #maxEntries: number;

  constructor(maxEntries: number) {
    this.#maxEntries = maxEntries;
  }

  static key(scope: string, id: JsonRpcId): string {
    // typeof keeps the number 1 and the string "1" apart, as JSON-RPC does.
    return `${scope}\u0000${typeof id}\u0000${id}`;
  }

  /** Adds a request; returns an evicted entry when the map was full. */
  add(key: string, request: PendingRequest): PendingRequest | undefined {
    let evicted: PendingRequest | undefined;
    if (this.#entries.size >= this.#maxEntries && !this.#entries.has(key)) {
      const oldest = this.#entries.keys().next();
      if (!oldest.done) {
        evicted = this.#entries.get(oldest.value);
        this.#entries.delete(oldest.value);
      }
    }
    this.#entries.set(key, request);
    return evicted;
  }

  take(key: string): PendingRequest | undefined {
    const entry = this.#entries.get(key);
    if (entry) this.#entries.delete(key);
    return entry;
  }

  /** Removes and returns entries older than maxAgeMs. Insertion order is age order, so it stops early. */
  takeOlderThan(now: number, maxAgeMs: number): PendingRequest[] {
    const expired: PendingRequest[] = [];
    for (const [key, entry] of this.#entries) {
      if (now - entry.startedAt <= maxAgeMs) break;
      this.#entries.delete(key);
      expired.push(entry);
    }
    return expired;
  }

  get size(): number {
    return this.#entries.size;
  }
}
