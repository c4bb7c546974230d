/**
 * Client-to-server methods of every MCP revision up to 2026-07-28 (which drops initialize and ping
 * and adds server/discover and subscriptions/listen; older clients still send the former).
 * Anything else is recorded as "other" so that a misbehaving client cannot blow up label cardinality.
 */
export const mcpClientMethods: ReadonlySet<string> = new Set([
  "initialize",
  "ping",
  "server/discover",
  "subscriptions/listen",
  "tools/list",
  "tools/call",
  "resources/list",
  "resources/templates/list",
  "resources/read",
  "resources/subscribe",
  "resources/unsubscribe",
  "prompts/list",
  "prompts/get",
  "completion/complete",
  "logging/setLevel",
  "tasks/get",
  "tasks/list",
  "tasks/result",
  "tasks/cancel",
  "notifications/initialized",
  "notifications/cancelled",
  "notifications/progress",
  "notifications/roots/list_changed",
  "notifications/tasks/status",
]);

export const otherMethod = "other";
/** The label for a body that is not JSON-RPC at all (not JSON, or the wrong shape). */
export const invalidMethod = "invalid";

export function methodOrOther(method: string): string {
  return mcpClientMethods.has(method) ? method : otherMethod;
}

export const listenMethod = "subscriptions/listen";
/** The server's first message on a listen stream: the subscription is established. */
export const listenAcknowledgedMethod = "notifications/subscriptions/acknowledged";
/** The server's notice that its tool catalogue changed (on a GET, legacy SSE or listen stream). */
export const toolsListChangedMethod = "notifications/tools/list_changed";
/** _meta key on listen-stream notifications naming the listen request's id. */
export const subscriptionIdMetaKey = "io.modelcontextprotocol/subscriptionId";

/** Protocol revisions, for the bounded mcp.protocol.version attribute. */
export const protocolVersions: ReadonlySet<string> = new Set([
  "2024-11-05",
  "2025-03-26",
  "2025-06-18",
  "2025-11-25",
  "2026-07-28",
]);

export function protocolVersionOrOther(version: string | undefined): string | undefined {
  if (version === undefined) return undefined;
  return protocolVersions.has(version) ? version : otherMethod;
}
