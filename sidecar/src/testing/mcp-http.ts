import { request } from "undici";

export const mcpAccept = "application/json, text/event-stream";

/** Opens a 2025-era MCP session with one raw initialize request; returns its Mcp-Session-Id. */
export async function initializeSession(base: string, protocolVersion = "2025-11-25"): Promise<string> {
  const response = await request(`${base}/mcp`, {
    method: "POST",
    headers: { "content-type": "application/json", accept: mcpAccept },
    body: JSON.stringify({
      jsonrpc: "2.0",
      id: 0,
      method: "initialize",
      params: { protocolVersion, capabilities: {}, clientInfo: { name: "mcpscope-test", version: "1" } },
    }),
  });
  await response.body.text();
  return String(response.headers["mcp-session-id"]);
}
