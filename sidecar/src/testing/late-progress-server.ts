import { randomUUID } from "node:crypto";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { fileURLToPath } from "node:url";
import { McpServer } from "@modelcontextprotocol/sdk/server/mcp.js";
import { StreamableHTTPServerTransport } from "@modelcontextprotocol/sdk/server/streamableHttp.js";

/**
 * A real MCP server on the TypeScript SDK 1.x whose tool `late-progress` reports progress 1 and 2,
 * answers, and only then sends progress 3 for the same request followed by a log message "late progress
 * sent" (a standalone notification, so a client knows everything after the answer has been sent). The current
 * server-everything awaits each progress before it answers, so no stock server sends one late on demand.
 */
export function lateProgressServer(): McpServer {
  const server = new McpServer({ name: "mcpscope-late-progress", version: "1.0.0" }, { capabilities: { logging: {} } });
  // A standalone notification on demand: once a client sees it, its standalone stream is open.
  server.registerTool("announce", { description: 'Logs "announced" on the standalone stream' }, async () => {
    await server.sendLoggingMessage({ level: "info", data: "announced" });
    return { content: [{ type: "text", text: "announced" }] };
  });
  server.registerTool("late-progress", { description: "Progress 1, 2, the answer, then progress 3" }, async (extra) => {
    const progressToken = extra._meta?.progressToken;
    const progress = (value: number) =>
      progressToken === undefined
        ? Promise.resolve()
        : extra.sendNotification({
            method: "notifications/progress",
            params: { progressToken, progress: value, total: 3 },
          });
    await progress(1);
    await progress(2);
    // After the answer has gone out (it is sent once this handler's promise settles). Over HTTP the
    // SDK's transport refuses the late progress: its request's stream has ended.
    setTimeout(() => {
      progress(3)
        .catch(() => {})
        .then(() => server.sendLoggingMessage({ level: "info", data: "late progress sent" }));
    }, 10);
    return { content: [{ type: "text", text: "done" }] };
  });
  return server;
}

/** The stdio command line for this server, as MCP_UPSTREAM_COMMAND takes it (runs the built entry point). */
export function lateProgressStdioCommand(): string {
  const entry = fileURLToPath(new URL("../../dist/testing/late-progress-stdio.js", import.meta.url));
  return `${JSON.stringify(process.execPath)} ${JSON.stringify(entry)}`;
}

export interface RunningLateProgressServer {
  /** Base URL; MCP is served on `${url}/mcp`. */
  url: string;
  close(): Promise<void>;
}

/** The same server speaking Streamable HTTP itself (the SDK's transport, one per session), on a free loopback port. */
export async function startLateProgressHttpServer(): Promise<RunningLateProgressServer> {
  const transports = new Map<string, StreamableHTTPServerTransport>();
  const http: Server = createServer((req, res) => {
    const sessionId = req.headers["mcp-session-id"];
    const existing = typeof sessionId === "string" ? transports.get(sessionId) : undefined;
    if (existing) {
      void existing.handleRequest(req, res);
      return;
    }
    const transport = new StreamableHTTPServerTransport({
      sessionIdGenerator: () => randomUUID(),
      onsessioninitialized: (id) => void transports.set(id, transport),
    });
    transport.onclose = () => {
      if (transport.sessionId) transports.delete(transport.sessionId);
    };
    void lateProgressServer()
      .connect(transport)
      .then(() => transport.handleRequest(req, res));
  });
  await new Promise<void>((resolve) => http.listen(0, "127.0.0.1", resolve));
  const { port } = http.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    async close() {
      await Promise.allSettled([...transports.values()].map((t) => t.close()));
      http.closeAllConnections();
      await new Promise<void>((resolve) => http.close(() => resolve()));
    },
  };
}
