import { randomUUID } from "node:crypto";
import { createServer, type Server as HttpServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { toNodeHandler } from "@modelcontextprotocol/node";
import { Server as LegacyServer } from "@modelcontextprotocol/sdk/server/index.js";
import { StreamableHTTPServerTransport } from "@modelcontextprotocol/sdk/server/streamableHttp.js";
import { CallToolRequestSchema, isInitializeRequest, ListToolsRequestSchema } from "@modelcontextprotocol/sdk/types.js";
import { createMcpHandler, Server as ModernServer } from "@modelcontextprotocol/server";

/** A real MCP server whose tools/list comes in pages, for checking catalogue metrics against what clients see. */
export interface RunningPaginatedServer {
  /** Base URL; MCP is served on `${url}/mcp`. */
  url: string;
  /** Every tool it lists, in order, across all pages. */
  tools: PaginatedTool[];
  pageSize: number;
  instructions: string;
  close(): Promise<void>;
}

export interface PaginatedTool {
  name: string;
  description: string;
  inputSchema: {
    type: "object";
    properties: Record<string, Record<string, string | number | string[]>>;
    required: string[];
  };
}

const instructions =
  "Forecast tools for the whole world. Call forecast_<n> with a city; results grow with `paragraphs`, " +
  "so ask for few unless the user wants detail.";

/** 23 tools of growing size, 10 to a page: three pages, the last one short. */
function catalogue(): PaginatedTool[] {
  return Array.from({ length: 23 }, (_, i) => ({
    name: `forecast_${i + 1}`,
    description: `Forecast ${i + 1}: ${"the weather for the next days, hour by hour, with rain, wind and temperature. ".repeat(1 + (i % 5))}`,
    inputSchema: {
      type: "object",
      properties: {
        city: { type: "string", description: "City name, e.g. Zürich or 東京" },
        paragraphs: { type: "integer", minimum: 1, maximum: 2000, description: "How long the answer is" },
        ...(i % 3 === 0 ? { units: { type: "string", enum: ["metric", "imperial"] } } : {}),
      },
      required: ["city"],
    },
  }));
}

/** Pages of `tools` by a numeric cursor (the index of the page's first tool). */
function pageOf(tools: PaginatedTool[], pageSize: number, cursor: string | undefined) {
  const start = cursor === undefined ? 0 : Number(cursor);
  const next = start + pageSize;
  return { tools: tools.slice(start, next), ...(next < tools.length ? { nextCursor: String(next) } : {}) };
}

/** A forecast text of about 60 tokens a paragraph. */
function forecastResult(name: string, args: Record<string, unknown> | undefined) {
  const city = typeof args?.city === "string" ? args.city : "nowhere";
  const paragraphs = typeof args?.paragraphs === "number" ? args.paragraphs : 1;
  const text = Array.from(
    { length: paragraphs },
    (_, i) =>
      `Day ${i + 1} in ${city} (${name}): cloudy in the morning, 14 °C at noon, showers after 16:00, wind 20 km/h from the west.`,
  ).join("\n");
  return { content: [{ type: "text" as const, text }] };
}

async function listen(handler: (req: IncomingMessage, res: ServerResponse) => void): Promise<HttpServer> {
  const http = createServer((req, res) => {
    if (new URL(req.url ?? "/", "http://fixture.invalid").pathname !== "/mcp") {
      res.writeHead(404).end();
      return;
    }
    handler(req, res);
  });
  await new Promise<void>((resolve) => http.listen(0, "127.0.0.1", resolve));
  return http;
}

/** The running fixture: its URL and catalogue; close() ends its MCP sessions, then its HTTP server. */
function running(
  http: HttpServer,
  tools: PaginatedTool[],
  pageSize: number,
  closeMcp: () => Promise<void>,
): RunningPaginatedServer {
  return {
    url: `http://127.0.0.1:${(http.address() as AddressInfo).port}`,
    tools,
    pageSize,
    instructions,
    async close() {
      await closeMcp();
      http.closeAllConnections();
      await new Promise<void>((resolve) => http.close(() => resolve()));
    },
  };
}

/**
 * The TypeScript SDK 1.x low-level server over Streamable HTTP with sessions (protocol up to
 * 2025-11-25): its tools/list handler pages the catalogue, as servers with many tools do.
 */
export async function startPaginatedServer(pageSize = 10): Promise<RunningPaginatedServer> {
  const tools = catalogue();
  const transports = new Map<string, StreamableHTTPServerTransport>();
  const http = await listen((req, res) => {
    void (async () => {
      const sessionId = req.headers["mcp-session-id"];
      const existing = typeof sessionId === "string" ? transports.get(sessionId) : undefined;
      if (existing) {
        await existing.handleRequest(req, res);
        return;
      }
      const chunks: Buffer[] = [];
      for await (const chunk of req) chunks.push(chunk as Buffer);
      const body = chunks.length > 0 ? JSON.parse(Buffer.concat(chunks).toString("utf8")) : undefined;
      if (req.method !== "POST" || !isInitializeRequest(body)) {
        res.writeHead(sessionId ? 404 : 400).end();
        return;
      }
      const transport = new StreamableHTTPServerTransport({
        sessionIdGenerator: () => randomUUID(),
        onsessioninitialized: (id) => void transports.set(id, transport),
      });
      transport.onclose = () => {
        if (transport.sessionId) transports.delete(transport.sessionId);
      };
      const server = new LegacyServer(
        { name: "mcpscope-paginated-fixture", version: "1.0.0" },
        { capabilities: { tools: { listChanged: true } }, instructions },
      );
      server.setRequestHandler(ListToolsRequestSchema, (request) => pageOf(tools, pageSize, request.params?.cursor));
      server.setRequestHandler(CallToolRequestSchema, (request) =>
        forecastResult(request.params.name, request.params.arguments),
      );
      await server.connect(transport);
      await transport.handleRequest(req, res, body);
    })().catch(() => {
      if (!res.headersSent) res.writeHead(500).end();
    });
  });
  return running(http, tools, pageSize, async () => {
    await Promise.allSettled([...transports.values()].map((t) => t.close()));
  });
}

/**
 * The TypeScript SDK 2.x low-level server speaking only 2026-07-28 (stateless, server/discover),
 * with the same paged catalogue.
 */
export async function startPaginatedModernServer(pageSize = 10): Promise<RunningPaginatedServer> {
  const tools = catalogue();
  const handler = createMcpHandler(
    () => {
      const server = new ModernServer(
        { name: "mcpscope-paginated-modern-fixture", version: "1.0.0" },
        { capabilities: { tools: { listChanged: true } }, instructions },
      );
      server.setRequestHandler("tools/list", (request) => pageOf(tools, pageSize, request.params?.cursor));
      server.setRequestHandler("tools/call", (request) =>
        forecastResult(request.params.name, request.params.arguments),
      );
      return server;
    },
    { legacy: "reject", keepAliveMs: 0 },
  );
  const node = toNodeHandler(handler);
  const http = await listen((req, res) => void node(req, res));
  return running(http, tools, pageSize, () => handler.close());
}
