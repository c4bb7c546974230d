import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { toNodeHandler } from "@modelcontextprotocol/node";
import { acceptedContent, createMcpHandler, inputRequired, McpServer } from "@modelcontextprotocol/server";
import { z } from "zod";

export interface RunningModernServer {
  /** Base URL; MCP is served on `${url}/mcp`. */
  url: string;
  /** Calls of the slow tool in progress (a client that leaves cancels its call). */
  slowCallsInFlight(): number;
  /** Publishes tools/list_changed to open subscriptions/listen streams. */
  notifyToolsChanged(): void;
  close(): Promise<void>;
}

/**
 * A real MCP server on the TypeScript SDK 2.x that speaks only protocol 2026-07-28 (no initialize,
 * no sessions, no ping: `legacy: "reject"`), served on node:http. Tools: echo, fail (isError), slow (answers
 * after a delay, with no response head before), and confirm, which asks for input first (an
 * `input_required` result, then a retried call).
 */
export async function startModernServer(): Promise<RunningModernServer> {
  let slowCalls = 0;
  const factory = () => {
    const server = new McpServer({ name: "mcpscope-modern-fixture", version: "1.0.0" });
    server.registerTool(
      "echo",
      { description: "Echoes its message", inputSchema: z.object({ message: z.string() }) },
      async ({ message }) => ({ content: [{ type: "text", text: `Echo: ${message}` }] }),
    );
    server.registerTool("fail", { description: "Always a tool error", inputSchema: z.object({}) }, async () => ({
      content: [{ type: "text", text: "failed on purpose" }],
      isError: true,
    }));
    server.registerTool(
      "slow",
      {
        description: "Answers after `seconds`, or never if cancelled first",
        inputSchema: z.object({ seconds: z.number() }),
      },
      async ({ seconds }, ctx) => {
        slowCalls += 1;
        await new Promise<void>((resolve) => {
          const timer = setTimeout(resolve, seconds * 1000);
          ctx.mcpReq.signal.addEventListener("abort", () => {
            clearTimeout(timer);
            resolve();
          });
        }).finally(() => {
          slowCalls -= 1;
        });
        return { content: [{ type: "text", text: `slept ${seconds}s` }] };
      },
    );
    const confirmation = z.object({ confirm: z.boolean() });
    server.registerTool(
      "confirm",
      { description: "Asks the user to confirm, then answers", inputSchema: z.object({ action: z.string() }) },
      async ({ action }, ctx) => {
        const answer = acceptedContent(ctx.mcpReq.inputResponses, "confirm", confirmation);
        if (answer === undefined) {
          return inputRequired({
            inputRequests: {
              confirm: inputRequired.elicit({ message: `Really ${action}?`, requestedSchema: confirmation }),
            },
          });
        }
        return { content: [{ type: "text", text: answer.confirm ? `${action}: done` : `${action}: declined` }] };
      },
    );
    return server;
  };
  const handler = createMcpHandler(factory, { legacy: "reject", keepAliveMs: 0 });
  const node = toNodeHandler(handler);
  const http: Server = createServer((req, res) => {
    const path = new URL(req.url ?? "/", "http://fixture.invalid").pathname;
    if (path !== "/mcp") {
      res.writeHead(404).end();
      return;
    }
    void node(req, res);
  });
  await new Promise<void>((resolve) => http.listen(0, "127.0.0.1", resolve));
  const { port } = http.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    slowCallsInFlight: () => slowCalls,
    notifyToolsChanged: () => void handler.notify.toolsChanged(),
    async close() {
      await handler.close();
      http.closeAllConnections();
      await new Promise<void>((resolve) => http.close(() => resolve()));
    },
  };
}
