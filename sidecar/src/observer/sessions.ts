/**
 * Open MCP sessions seen through the sidecar: Streamable HTTP sessions (Mcp-Session-Id) and legacy
 * HTTP+SSE sessions (sessionId of the GET stream). Times are milliseconds from an injected clock.
 */
export class SessionTracker {
  readonly #sessions = new Map<string, { startedAt: number; lastSeenAt: number }>();

  /** Returns true when the session is new. */
  start(id: string, now: number): boolean {
    if (this.#sessions.has(id)) return false;
    this.#sessions.set(id, { startedAt: now, lastSeenAt: now });
    return true;
  }

  has(id: string): boolean {
    return this.#sessions.has(id);
  }

  touch(id: string, now: number): void {
    const session = this.#sessions.get(id);
    if (session) session.lastSeenAt = now;
  }

  /** Ends a session; returns its duration in ms, or undefined if it was not open. */
  end(id: string, now: number): number | undefined {
    const session = this.#sessions.get(id);
    if (!session) return undefined;
    this.#sessions.delete(id);
    return now - session.startedAt;
  }

  /** Ends sessions idle for longer than idleMs (clients that vanish without DELETE); returns their durations. */
  endIdle(now: number, idleMs: number, keepOpen: (id: string) => boolean): number[] {
    const durations: number[] = [];
    for (const [id, session] of this.#sessions) {
      if (now - session.lastSeenAt > idleMs && !keepOpen(id)) {
        this.#sessions.delete(id);
        durations.push(session.lastSeenAt - session.startedAt);
      }
    }
    return durations;
  }

  get size(): number {
    return this.#sessions.size;
  }
}
