import { randomUUID } from "node:crypto";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { StreamableHTTPServerTransport } from "@modelcontextprotocol/sdk/server/streamableHttp.js";
import type { JSONRPCMessage, RequestId } from "@modelcontextprotocol/sdk/types.js";
import type { Logger } from "pino";
import { healthProbeHeader, stdioBridgeMcpPath } from "../contract.js";
import { SidecarErrorCode } from "../errors.js";
import { WireErrorCode } from "../mcp/error-codes.js";
import { ChildStdioTransport } from "./child-stdio.js";
import { ProgressRoutes, progressNotificationToken, progressTokenOf } from "./progress.js";

export interface StdioBridgeOptions {
  /** A shell command line, run as `/bin/sh -c "<command>"`, exactly as a terminal would. */
  command: string;
  env: Record<string, string>;
  maxSessions: number;
  /** A session with no request or stream open for this long is ended (its client is gone). */
  sessionIdleMs: number;
  logger: Logger;
  /** Called when a new client is refused because every slot holds a busy session. */
  onFull?: () => void;
  /** Injected clock (ms), for the idle sweep. */
  now?: () => number;
}

export interface StdioBridge {
  /** Loopback URL of the bridge; its MCP endpoint is `${url}${stdioBridgeMcpPath}`. */
  url: string;
  sessions(): number;
  /** Sessions with a request or stream open: a new client is refused only when all slots are busy. */
  busySessions(): number;
  readonly maxSessions: number;
  /** Ends sessions idle past sessionIdleMs; runs on a timer too. Returns how many it ended. */
  sweep(): Promise<number>;
  close(): Promise<void>;
}

interface BridgeSession {
  /** The sidecar's own health probe: outside the clients' slots, never evicted for them. */
  probe: boolean;
  http: StreamableHTTPServerTransport;
  stdio: ChildStdioTransport;
  /** HTTP requests (including open GET streams) in progress: a client with one open is not gone. */
  openRequests: number;
  lastActiveAt: number;
  end(): Promise<void>;
}

/**
 * Serves a stdio-only MCP server as Streamable HTTP on 127.0.0.1: one child process per MCP session
 * (a stdio server speaks to exactly one client), spawned at initialize and ended with the session —
 * on DELETE, on child exit, after sessionIdleMs without a request or stream, or, when every slot is
 * taken, the least recently used idle session makes room for a new client.
 */
export async function startStdioBridge(options: StdioBridgeOptions): Promise<StdioBridge> {
  const sessions = new Map<string, BridgeSession>();
  const { logger } = options;
  const now = options.now ?? (() => performance.now());

  /** An answer the bridge writes itself; `sidecarCode` (the error registry's) goes in error.data. */
  function jsonError(
    res: ServerResponse,
    status: number,
    code: number,
    message: string,
    sidecarCode?: SidecarErrorCode,
  ) {
    const data = sidecarCode === undefined ? {} : { data: { code: sidecarCode } };
    res
      .writeHead(status, { "content-type": "application/json" })
      .end(JSON.stringify({ jsonrpc: "2.0", id: null, error: { code, message, ...data } }));
  }

  const clientSessions = () => [...sessions.values()].filter((s) => !s.probe);

  /** Frees a slot by ending the least recently active client session with nothing open, if there is one. */
  async function evictIdlest(): Promise<boolean> {
    let idlest: BridgeSession | undefined;
    for (const session of clientSessions()) {
      if (session.openRequests > 0) continue;
      if (!idlest || session.lastActiveAt < idlest.lastActiveAt) idlest = session;
    }
    if (!idlest) return false;
    logger.info("stdio bridge full: ending the least recently used idle session");
    await idlest.end();
    return true;
  }

  async function openSession(req: IncomingMessage, res: ServerResponse) {
    const probe = req.headers[healthProbeHeader] !== undefined;
    if (!probe && clientSessions().length >= options.maxSessions && !(await evictIdlest())) {
      options.onFull?.();
      logger.warn({ code: SidecarErrorCode.bridgeFull }, "stdio bridge full: every session is busy");
      jsonError(
        res,
        503,
        WireErrorCode.ConnectionClosed,
        `mcpscope: the stdio bridge is full: all ${options.maxSessions} sessions are busy`,
        SidecarErrorCode.bridgeFull,
      );
      return;
    }
    const stdio = new ChildStdioTransport(options.command, options.env);
    const progress = new ProgressRoutes();
    const http: StreamableHTTPServerTransport = new StreamableHTTPServerTransport({
      sessionIdGenerator: () => randomUUID(),
      onsessioninitialized: (id) => {
        sessions.set(id, session);
      },
    });
    // Requests the child has not answered yet, so that its exit fails them instead of leaving them hanging.
    const unanswered = new Set<RequestId>();
    let ended = false;
    const session: BridgeSession = {
      probe,
      http,
      stdio,
      openRequests: 0,
      lastActiveAt: now(),
      async end() {
        if (ended) return;
        ended = true;
        for (const id of unanswered) {
          const error = {
            code: WireErrorCode.ConnectionClosed,
            message: "mcpscope: the stdio MCP server exited before answering (its stderr is in the sidecar's log)",
            data: { code: SidecarErrorCode.stdioExited },
          };
          await http.send({ jsonrpc: "2.0", id, error }).catch(() => {});
        }
        unanswered.clear();
        const id = http.sessionId;
        if (id) sessions.delete(id);
        await Promise.allSettled([stdio.close(), http.close()]);
      },
    };
    http.onmessage = (message: JSONRPCMessage) => {
      if ("method" in message && "id" in message) unanswered.add(message.id as RequestId);
      const token = progressTokenOf(message);
      if (token !== undefined && "id" in message) progress.requested(token, message.id as RequestId);
      stdio.send(message).catch((error: unknown) => logger.warn({ err: error }, "stdio server did not take a message"));
    };
    stdio.onmessage = (message: JSONRPCMessage) => {
      // Progress belongs on the stream of the request that asked for it, not the standalone GET stream —
      // also when it comes after that request's answer: the transport then refuses it, as it refuses a
      // late notification from a server speaking HTTP itself (the client never sees it there either).
      const token = progressNotificationToken(message);
      const relatedRequestId = token === undefined ? undefined : progress.requestOf(token);
      if ("id" in message && !("method" in message)) {
        unanswered.delete(message.id as RequestId);
        progress.answeredRequest(message.id as RequestId);
      }
      http.send(message, relatedRequestId === undefined ? undefined : { relatedRequestId }).catch((error: unknown) => {
        logger.debug({ err: error, relatedRequestId }, "no open stream for a message from the stdio server");
      });
    };
    stdio.onclose = () => void session.end();
    http.onclose = () => void session.end();
    stdio.onerror = (error) => logger.warn({ err: error }, "stdio server error");
    try {
      await stdio.start();
    } catch (error) {
      logger.error({ err: error, code: SidecarErrorCode.stdioSpawn }, "could not start the stdio MCP server");
      jsonError(
        res,
        502,
        WireErrorCode.ConnectionClosed,
        `mcpscope: could not start the stdio MCP server: ${(error as Error).message}`,
        SidecarErrorCode.stdioSpawn,
      );
      return;
    }
    await serve(session, req, res);
    if (!http.sessionId) await session.end();
  }

  /** Hands one request to a session, keeping count of what is open so idle sessions can be told apart. */
  async function serve(session: BridgeSession, req: IncomingMessage, res: ServerResponse) {
    session.openRequests += 1;
    session.lastActiveAt = now();
    res.once("close", () => {
      session.openRequests -= 1;
      session.lastActiveAt = now();
    });
    await session.http.handleRequest(req, res);
  }

  const server: Server = createServer((req, res) => {
    const url = new URL(req.url ?? "/", "http://bridge.invalid");
    if (url.pathname !== stdioBridgeMcpPath) {
      jsonError(
        res,
        404,
        WireErrorCode.MethodNotFound,
        `mcpscope: the stdio bridge serves MCP on ${stdioBridgeMcpPath}`,
        SidecarErrorCode.notFound,
      );
      return;
    }
    const sessionId = req.headers["mcp-session-id"];
    const id = Array.isArray(sessionId) ? sessionId[0] : sessionId;
    const handle = async () => {
      if (id === undefined) {
        if (req.method !== "POST") {
          jsonError(res, 400, WireErrorCode.ConnectionClosed, "Bad Request: Mcp-Session-Id header is required");
          return;
        }
        await openSession(req, res);
        return;
      }
      const session = sessions.get(id);
      if (!session) {
        // As the MCP SDK's own server answers an unknown session (clients recognise it and re-initialize).
        jsonError(res, 404, WireErrorCode.RequestTimeout, "Session not found");
        return;
      }
      await serve(session, req, res);
    };
    handle().catch((error: unknown) => {
      logger.error({ err: error, code: SidecarErrorCode.internal }, "stdio bridge failed a request");
      if (!res.headersSent)
        jsonError(res, 500, WireErrorCode.InternalError, "mcpscope: stdio bridge error", SidecarErrorCode.internal);
      else res.destroy();
    });
  });
  server.requestTimeout = 0;

  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => resolve());
  });
  const { port } = server.address() as AddressInfo;

  async function sweep(): Promise<number> {
    const idle = [...sessions.values()].filter(
      (s) => s.openRequests === 0 && now() - s.lastActiveAt > options.sessionIdleMs,
    );
    await Promise.all(idle.map((s) => s.end()));
    return idle.length;
  }
  const sweepTimer = setInterval(() => void sweep(), Math.min(10_000, Math.max(250, options.sessionIdleMs / 4)));
  sweepTimer.unref();

  return {
    url: `http://127.0.0.1:${port}`,
    sessions: () => clientSessions().length,
    busySessions: () => clientSessions().filter((s) => s.openRequests > 0).length,
    maxSessions: options.maxSessions,
    sweep,
    async close() {
      clearInterval(sweepTimer);
      await Promise.allSettled([...sessions.values()].map((s) => s.end()));
      sessions.clear();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
