import type { JSONRPCMessage } from "@modelcontextprotocol/sdk/types.js";

/** The progress token a client request asks progress for (params._meta.progressToken), if any. */
export function progressTokenOf(message: JSONRPCMessage): string | number | undefined {
  if (!("method" in message) || !("id" in message)) return undefined;
  const meta = (message.params as { _meta?: { progressToken?: unknown } } | undefined)?._meta;
  const token = meta?.progressToken;
  return typeof token === "string" || typeof token === "number" ? token : undefined;
}
