import { parseJsonRpc } from "../mcp/jsonrpc.js";
import { createSseObserver } from "../mcp/sse.js";

/** What a probe learnt: the revisions the upstream speaks and how it was asked. */
export interface ProbeResult {
  probe: "server/discover" | "initialize+ping" | "ping";
  protocolVersions: string[];
}

export const discoverVersion = "2026-07-28";
/** The newest sessionful revision: what the fallback initialize offers. */
export const sessionfulVersion = "2025-11-25";

/** A JSON-RPC message the probe sends, with the id its answer will carry (none for a notification). */
export interface ProbeMessage {
  id: number | undefined;
  body: string;
}

export function discoverRequest(id: number): ProbeMessage {
  return message(id, {
    jsonrpc: "2.0",
    id,
    method: "server/discover",
    params: {
      _meta: {
        "io.modelcontextprotocol/protocolVersion": discoverVersion,
        "io.modelcontextprotocol/clientInfo": { name: "mcpscope-health", version: "1" },
        "io.modelcontextprotocol/clientCapabilities": {},
      },
    },
  });
}

export function initializeRequest(id: number, clientVersion: string): ProbeMessage {
  return message(id, {
    jsonrpc: "2.0",
    id,
    method: "initialize",
    params: {
      protocolVersion: sessionfulVersion,
      capabilities: {},
      clientInfo: { name: "mcpscope-health", version: clientVersion },
    },
  });
}

export const initializedNotification = message(undefined, { jsonrpc: "2.0", method: "notifications/initialized" });

export function pingRequest(id: number): ProbeMessage {
  return message(id, { jsonrpc: "2.0", id, method: "ping" });
}

function message(id: number | undefined, value: object): ProbeMessage {
  return { id, body: JSON.stringify(value) };
}

export type ProbeAnswer =
  | { kind: "result"; result: Record<string, unknown> }
  | { kind: "error"; code: number; message: string }
  | { kind: "none" };

/** The JSON-RPC answer with `id` in a response body, JSON or SSE. Pure. */
export function answerIn(contentType: string | undefined, body: string, id: number): ProbeAnswer {
  const texts: string[] = [];
  if (contentType?.toLowerCase().startsWith("text/event-stream")) {
    const sse = createSseObserver((event) => texts.push(event.data), 1024 * 1024);
    sse.feed(new TextEncoder().encode(body));
    sse.end();
  } else {
    texts.push(body);
  }
  for (const text of texts) {
    const parsed = parseJsonRpc(text);
    if (!parsed.ok) continue;
    for (const message of parsed.messages) {
      if (message.kind !== "response" || message.id !== id) continue;
      if (message.error) return { kind: "error", code: message.error.code, message: message.error.message };
      const result = typeof message.result === "object" && message.result !== null ? message.result : {};
      return { kind: "result", result: result as Record<string, unknown> };
    }
  }
  return { kind: "none" };
}

/** supportedVersions of a server/discover result, if it is one. Pure. */
export function supportedVersionsOf(result: Record<string, unknown>): string[] | undefined {
  const versions = result.supportedVersions;
  if (!Array.isArray(versions)) return undefined;
  return versions.filter((v): v is string => typeof v === "string");
}
