#!/usr/bin/env node
// A real MCP server built with the official SDK, for the benchmark: stateless Streamable HTTP as the
// SDK documents it, /json answering with application/json and /sse with text/event-stream.
// Its `stream` tool sends progress notifications stamped with the wall-clock time they were sent,
// so the client can measure each event's delivery delay, direct and through the sidecar.
import { createServer } from "node:http";
// The handler alone, not the testing index: this peer process stays as light as the server it stands for.
import { statelessMcpHandler } from "@mcpscope/sidecar/testing/stateless-mcp-handler";
import { McpServer } from "@modelcontextprotocol/sdk/server/mcp.js";
import { z } from "zod";

/** Microsecond wall clock shared across processes on one machine. */
export const wallMicros = () => Math.round((performance.timeOrigin + performance.now()) * 1000);

function buildServer(): McpServer {
  const server = new McpServer({ name: "mcpscope-bench-upstream", version: "0.1.0" });
  server.registerTool("echo", { inputSchema: { message: z.string() } }, async ({ message }) => ({
    content: [{ type: "text", text: message }],
  }));
  server.registerTool(
    "stream",
    { inputSchema: { events: z.number().int().min(1).max(10_000), intervalMs: z.number().min(0).max(1000) } },
    async ({ events, intervalMs }, extra) => {
      const token = extra._meta?.progressToken;
      for (let i = 1; i <= events; i++) {
        await new Promise((resolve) => setTimeout(resolve, intervalMs));
        if (token !== undefined) {
          await extra.sendNotification({
            method: "notifications/progress",
            params: { progressToken: token, progress: i, total: events, message: String(wallMicros()) },
          });
        }
      }
      return { content: [{ type: "text", text: `sent ${events}` }] };
    },
  );
  return server;
}

const port = Number(process.argv[2] ?? 0);
const http = createServer(statelessMcpHandler(buildServer, (req) => req.url?.startsWith("/json") ?? false));
http.keepAliveTimeout = 60_000;
http.listen(port, "127.0.0.1", () => {
  const address = http.address();
  console.error(`bench upstream listening on port ${typeof address === "object" && address ? address.port : port}`);
});
