import type { IncomingMessage, ServerResponse } from "node:http";
import type { McpServer } from "@modelcontextprotocol/sdk/server/mcp.js";
import { StreamableHTTPServerTransport } from "@modelcontextprotocol/sdk/server/streamableHttp.js";

/**
 * A node:http (or node:https) request handler for a stateless MCP server, as the TypeScript SDK
 * documents it: each request gets a server from `buildServer` and a transport without sessions, both
 * closed with the response. `jsonResponse` picks an application/json answer over an event stream.
 */
export function statelessMcpHandler(
  buildServer: () => McpServer,
  jsonResponse: (req: IncomingMessage) => boolean = () => false,
): (req: IncomingMessage, res: ServerResponse) => void {
  return (req, res) => {
    const server = buildServer();
    const transport = new StreamableHTTPServerTransport({
      sessionIdGenerator: undefined,
      enableJsonResponse: jsonResponse(req),
    });
    res.on("close", () => {
      void transport.close();
      void server.close();
    });
    server
      .connect(transport)
      .then(() => transport.handleRequest(req, res))
      .catch(() => res.destroy());
  };
}
