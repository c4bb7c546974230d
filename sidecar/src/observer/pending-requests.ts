import { createHash } from "node:crypto";
import type { JsonRpcId } from "../mcp/jsonrpc.js";
import type { RequestSpan } from "../telemetry/spans.js";

export interface PendingRequest {
  method: string;
  toolName: string | undefined;
  startedAt: number;
  /** mcp.protocol.version, already bounded. */
  protocolVersion: string | undefined;
  /** The request's span, when tracing is on. */
  span?: RequestSpan | undefined;
  /** A tools/list request: the client scope its pages chain in, and the cursor it sent (none: page 1). */
  toolsListPage?: { scope: string; cursor: string | undefined } | undefined;
}

interface Entry {
  request: PendingRequest;
  scope: string;
  bytes: number;
  /** Answered 202 Accepted: the answer is to come on another stream (legacy SSE). */
  accepted: boolean;
}

/** Keys longer than this are stored as a digest: ids and session ids are chosen by clients. */
const maxRawKeyLength = 256;

/**
 * Requests waiting for their JSON-RPC response, keyed by the stream scope they can be answered in
 * (the session, or the exchange itself when there is none) and the request id. Bounded by entries
 * and by key bytes: when full, the oldest entries are handed back to be recorded as unanswered.
 */
export class PendingRequests {
  readonly #entries = new Map<string, Entry>();
  readonly #maxEntries: number;
  readonly #maxKeyBytes: number;
  #keyBytes = 0;

  constructor(maxEntries: number, maxKeyBytes = Number.POSITIVE_INFINITY) {
    this.#maxEntries = maxEntries;
    this.#maxKeyBytes = maxKeyBytes;
  }

  static key(scope: string, id: JsonRpcId): string {
    // typeof keeps the number 1 and the string "1" apart, as JSON-RPC does.
    const raw = `${scope}\u0000${typeof id}\u0000${id}`;
    if (raw.length <= maxRawKeyLength) return raw;
    return `${PendingRequests.#compactScope(scope)}\u0000#${createHash("sha256").update(raw).digest("base64url")}`;
  }

  static #compactScope(scope: string): string {
    return scope.length <= maxRawKeyLength / 2 ? scope : `#${createHash("sha256").update(scope).digest("base64url")}`;
  }

  /** Adds a request; returns the entries evicted to make room (oldest first). */
  add(key: string, request: PendingRequest, scope = PendingRequests.scopeOf(key)): PendingRequest[] {
    const evicted: PendingRequest[] = [];
    const previous = this.#entries.get(key);
    if (previous) this.#remove(key, previous);
    const bytes = key.length * 2;
    while (
      this.#entries.size > 0 &&
      (this.#entries.size >= this.#maxEntries || this.#keyBytes + bytes > this.#maxKeyBytes)
    ) {
      const oldest = this.#entries.entries().next();
      if (oldest.done) break;
      this.#remove(oldest.value[0], oldest.value[1]);
      evicted.push(oldest.value[1].request);
    }
    this.#entries.set(key, { request, scope, bytes, accepted: false });
    this.#keyBytes += bytes;
    return evicted;
  }

  static scopeOf(key: string): string {
    return key.slice(0, key.indexOf("\u0000"));
  }

  take(key: string): PendingRequest | undefined {
    const entry = this.#entries.get(key);
    if (!entry) return undefined;
    this.#remove(key, entry);
    return entry.request;
  }

  markAccepted(key: string): void {
    const entry = this.#entries.get(key);
    if (entry) entry.accepted = true;
  }

  /** Removes and returns the requests of one scope (a legacy SSE session whose stream ended). */
  takeScope(scope: string): PendingRequest[] {
    const compact = PendingRequests.#compactScope(scope);
    const taken: PendingRequest[] = [];
    for (const [key, entry] of this.#entries) {
      if (entry.scope !== scope && entry.scope !== compact) continue;
      this.#remove(key, entry);
      taken.push(entry.request);
    }
    return taken;
  }

  /** Removes and returns entries older than maxAgeMs, or than acceptedMaxAgeMs for those answered 202. */
  takeExpired(now: number, maxAgeMs: number, acceptedMaxAgeMs: number): PendingRequest[] {
    const expired: PendingRequest[] = [];
    const soonest = Math.min(maxAgeMs, acceptedMaxAgeMs);
    for (const [key, entry] of this.#entries) {
      const age = now - entry.request.startedAt;
      // Insertion order is age order: nothing younger than the shorter limit can expire.
      if (age <= soonest) break;
      if (age <= (entry.accepted ? acceptedMaxAgeMs : maxAgeMs)) continue;
      this.#remove(key, entry);
      expired.push(entry.request);
    }
    return expired;
  }

  #remove(key: string, entry: Entry): void {
    this.#entries.delete(key);
    this.#keyBytes -= entry.bytes;
  }

  get size(): number {
    return this.#entries.size;
  }

  get keyBytes(): number {
    return this.#keyBytes;
  }
}
