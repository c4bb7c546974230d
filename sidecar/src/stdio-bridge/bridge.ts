import { randomUUID } from "node:crypto";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { StdioClientTransport } from "@modelcontextprotocol/sdk/client/stdio.js";
import { StreamableHTTPServerTransport } from "@modelcontextprotocol/sdk/server/streamableHttp.js";
import type { JSONRPCMessage, RequestId } from "@modelcontextprotocol/sdk/types.js";
import type { Logger } from "pino";
import { progressTokenOf } from "./progress.js";

export interface StdioBridgeOptions {
  /** A shell command line, run with /bin/sh -c so users can write it as they would in a terminal. */
  command: string;
  env: Record<string, string>;
  maxSessions: number;
  logger: Logger;
}

export interface StdioBridge {
  /** Loopback URL of the bridge; its MCP endpoint is `${url}/mcp`. */
  url: string;
  sessions(): number;
  close(): Promise<void>;
}

interface BridgeSession {
  http: StreamableHTTPServerTransport;
  stdio: StdioClientTransport;
}

export const bridgeMcpPath = "/mcp";

/**
 * Serves a stdio-only MCP server as Streamable HTTP on 127.0.0.1: one child process per MCP session
 * (a stdio server speaks to exactly one client), spawned at initialize and ended with the session.
 * The proxy sits in front of this bridge exactly as in front of an HTTP upstream.
 */
export async function startStdioBridge(options: StdioBridgeOptions): Promise<StdioBridge> {
  const sessions = new Map<string, BridgeSession>();
  const { logger } = options;

  function jsonError(res: ServerResponse, status: number, code: number, message: string) {
    res
      .writeHead(status, { "content-type": "application/json" })
      .end(JSON.stringify({ jsonrpc: "2.0", id: null, error: { code, message } }));
  }

  async function openSession(req: IncomingMessage, res: ServerResponse) {
    if (sessions.size >= options.maxSessions) {
      jsonError(res, 503, -32000, `mcpscope: the stdio bridge already runs ${options.maxSessions} sessions`);
      return;
    }
    const stdio = new StdioClientTransport({
      command: "/bin/sh",
      args: ["-c", `exec ${options.command}`],
      env: options.env,
      stderr: "inherit",
    });
    const progressRequests = new Map<string | number, RequestId>();
    const http: StreamableHTTPServerTransport = new StreamableHTTPServerTransport({
      sessionIdGenerator: () => randomUUID(),
      onsessioninitialized: (id) => {
        sessions.set(id, { http, stdio });
      },
    });
    // Requests the child has not answered yet, so that its exit fails them instead of leaving them hanging.
    const unanswered = new Set<RequestId>();
    http.onmessage = (message: JSONRPCMessage) => {
      if ("method" in message && "id" in message) unanswered.add(message.id as RequestId);
      const token = progressTokenOf(message);
      if (token !== undefined && "id" in message) progressRequests.set(token, message.id as RequestId);
      stdio.send(message).catch((error: unknown) => logger.warn({ err: error }, "stdio server did not take a message"));
    };
    stdio.onmessage = (message: JSONRPCMessage) => {
      // Progress belongs on the stream of the request that asked for it, not the standalone GET stream.
      let relatedRequestId: RequestId | undefined;
      if ("method" in message && message.method === "notifications/progress") {
        const token = (message.params as { progressToken?: string | number } | undefined)?.progressToken;
        if (token !== undefined) relatedRequestId = progressRequests.get(token);
      }
      if ("id" in message && !("method" in message)) {
        unanswered.delete(message.id as RequestId);
        for (const [token, id] of progressRequests) if (id === message.id) progressRequests.delete(token);
      }
      http.send(message, relatedRequestId === undefined ? undefined : { relatedRequestId }).catch((error: unknown) => {
        logger.debug({ err: error }, "no open stream for a message from the stdio server");
      });
    };
    let ended = false;
    const end = async () => {
      if (ended) return;
      ended = true;
      for (const id of unanswered) {
        const error = {
          code: -32000,
          message: "mcpscope: the stdio MCP server exited before answering (its stderr is in the sidecar's log)",
        };
        await http.send({ jsonrpc: "2.0", id, error }).catch(() => {});
      }
      unanswered.clear();
      const id = http.sessionId;
      if (id) sessions.delete(id);
      void stdio.close().catch(() => {});
      void http.close().catch(() => {});
    };
    stdio.onclose = () => void end();
    http.onclose = () => void end();
    stdio.onerror = (error) => logger.warn({ err: error }, "stdio server error");
    try {
      await stdio.start();
    } catch (error) {
      logger.error({ err: error, command: options.command }, "could not start the stdio MCP server");
      jsonError(res, 502, -32000, `mcpscope: could not start the stdio MCP server: ${(error as Error).message}`);
      return;
    }
    await http.handleRequest(req, res);
    if (!http.sessionId) await end();
  }

  const server: Server = createServer((req, res) => {
    const url = new URL(req.url ?? "/", "http://bridge.invalid");
    if (url.pathname !== bridgeMcpPath) {
      jsonError(res, 404, -32601, `mcpscope: the stdio bridge serves MCP on ${bridgeMcpPath}`);
      return;
    }
    const sessionId = req.headers["mcp-session-id"];
    const id = Array.isArray(sessionId) ? sessionId[0] : sessionId;
    const handle = async () => {
      if (id === undefined) {
        if (req.method !== "POST") {
          jsonError(res, 400, -32000, "Bad Request: Mcp-Session-Id header is required");
          return;
        }
        await openSession(req, res);
        return;
      }
      const session = sessions.get(id);
      if (!session) {
        jsonError(res, 404, -32001, "Session not found");
        return;
      }
      await session.http.handleRequest(req, res);
    };
    handle().catch((error: unknown) => {
      logger.error({ err: error }, "stdio bridge failed a request");
      if (!res.headersSent) jsonError(res, 500, -32603, "mcpscope: stdio bridge error");
      else res.destroy();
    });
  });
  server.requestTimeout = 0;

  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => resolve());
  });
  const { port } = server.address() as AddressInfo;

  return {
    url: `http://127.0.0.1:${port}`,
    sessions: () => sessions.size,
    async close() {
      await Promise.allSettled([...sessions.values()].map((s) => s.stdio.close()));
      sessions.clear();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
