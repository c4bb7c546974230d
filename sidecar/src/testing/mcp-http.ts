import { request } from "undici";

export const mcpAccept = "application/json, text/event-stream";

/** POSTs one raw 2025-era initialize request to `${base}/mcp`; returns undici's response (body unread). */
export function postInitialize(
  base: string,
  options: { id?: number; protocolVersion?: string; headers?: Record<string, string> } = {},
) {
  return request(`${base}/mcp`, {
    method: "POST",
    headers: { "content-type": "application/json", accept: mcpAccept, ...options.headers },
    body: JSON.stringify({
      jsonrpc: "2.0",
      id: options.id ?? 0,
      method: "initialize",
      params: {
        protocolVersion: options.protocolVersion ?? "2025-11-25",
        capabilities: {},
        clientInfo: { name: "mcpscope-test", version: "1" },
      },
    }),
  });
}

/** Opens a 2025-era MCP session with one raw initialize request; returns its Mcp-Session-Id. */
export async function initializeSession(base: string, protocolVersion = "2025-11-25"): Promise<string> {
  const response = await postInitialize(base, { protocolVersion });
  await response.body.text();
  return String(response.headers["mcp-session-id"]);
}
