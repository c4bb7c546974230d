/**
 * Client-to-server methods of the MCP specification (2025-11-25 and earlier revisions).
 * Anything else is recorded as "other" so that a misbehaving client cannot blow up label cardinality.
 */
export const mcpClientMethods: ReadonlySet<string> = new Set([
  "initialize",
  "ping",
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
