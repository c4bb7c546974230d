import type { JSONRPCMessage, RequestId } from "@modelcontextprotocol/sdk/types.js";

type ProgressToken = string | number;

/** The progress token a client request asks progress for (params._meta.progressToken), if any. */
export function progressTokenOf(message: JSONRPCMessage): ProgressToken | undefined {
  if (!("method" in message) || !("id" in message)) return undefined;
  const meta = (message.params as { _meta?: { progressToken?: unknown } } | undefined)?._meta;
  const token = meta?.progressToken;
  return typeof token === "string" || typeof token === "number" ? token : undefined;
}

/** The token of a progress notification (notifications/progress params.progressToken), if it is one. */
export function progressNotificationToken(message: JSONRPCMessage): ProgressToken | undefined {
  if (!("method" in message) || "id" in message || message.method !== "notifications/progress") return undefined;
  const token = (message.params as { progressToken?: unknown } | undefined)?.progressToken;
  return typeof token === "string" || typeof token === "number" ? token : undefined;
}

/**
 * Which client request a stdio server's progress notification belongs to. A stdio server cannot say
 * (it has no relatedRequestId), so the token tells: the request that asked with it — still running,
 * or among the last `answeredKept` answered ones. A progress sent after its request was answered is
 * then routed to that finished request, where the SDK's Streamable HTTP transport refuses it exactly
 * as it refuses the same late notification from a server speaking HTTP itself, instead of reaching
 * the client on the standalone stream.
 */
export class ProgressRoutes {
  private readonly running = new Map<ProgressToken, RequestId>();
  private readonly answered = new Map<ProgressToken, RequestId>();

  constructor(private readonly answeredKept = 1024) {}

  /** A client request that asks for progress with `token`. */
  requested(token: ProgressToken, id: RequestId): void {
    this.answered.delete(token);
    this.running.set(token, id);
  }

  /** The stdio server answered request `id`: its token now names a finished request. */
  answeredRequest(id: RequestId): void {
    for (const [token, runningId] of this.running) {
      if (runningId !== id) continue;
      this.running.delete(token);
      this.answered.set(token, id);
      if (this.answered.size > this.answeredKept) {
        const oldest = this.answered.keys().next();
        if (!oldest.done) this.answered.delete(oldest.value);
      }
    }
  }

  /** The request a progress notification with `token` belongs to, running or answered; undefined if unknown. */
  requestOf(token: ProgressToken): RequestId | undefined {
    return this.running.get(token) ?? this.answered.get(token);
  }
}
