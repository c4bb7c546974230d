// `helm test`: the MCP server behind the test pod's sidecar — one echo tool over stdio, written with
// the MCP TypeScript SDK the sidecar image already holds (mounted at /app/helm-test to resolve it).
import { McpServer } from "@modelcontextprotocol/sdk/server/mcp.js";
import { StdioServerTransport } from "@modelcontextprotocol/sdk/server/stdio.js";
import { z } from "zod";

const server = new McpServer({ name: "mcpscope-helm-test", version: "1.0.0" });
server.registerTool(
  "echo",
  { description: "Returns its message", inputSchema: { message: z.string() } },
  async ({ message }) => ({ content: [{ type: "text", text: message }] }),
);
await server.connect(new StdioServerTransport());
