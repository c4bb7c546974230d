/**
 * Classifies JSON-RPC 2.0 messages read from a copy of the traffic. Pure and allocation-light:
 * this runs on every exchange, so it checks shapes by hand rather than through a schema library.
 */
export type JsonRpcId = string | number;

export type JsonRpcMessage =
  | { kind: "request"; id: JsonRpcId; method: string; params: unknown }
  | { kind: "notification"; method: string; params: unknown }
  | {
      kind: "response";
      id: JsonRpcId | null;
      result: unknown;
      error?: JsonRpcErrorObject;
    }
  | { kind: "invalid"; reason: string };

export interface JsonRpcErrorObject {
  code: number;
  message: string;
}

export type ParsedBody = { ok: true; batch: boolean; messages: JsonRpcMessage[] } | { ok: false; reason: string };

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function isId(value: unknown): value is JsonRpcId {
  return typeof value === "string" || (typeof value === "number" && Number.isFinite(value));
}

export function classifyMessage(value: unknown): JsonRpcMessage {
  if (!isRecord(value)) return { kind: "invalid", reason: "not an object" };
  if (value.jsonrpc !== "2.0") return { kind: "invalid", reason: 'jsonrpc is not "2.0"' };
  if (typeof value.method === "string") {
    if (value.id === undefined)
      return {
        kind: "notification",
        method: value.method,
        params: value.params,
      };
    if (isId(value.id))
      return {
        kind: "request",
        id: value.id,
        method: value.method,
        params: value.params,
      };
    return { kind: "invalid", reason: "id must be a string or a number" };
  }
  if ("result" in value || "error" in value) {
    const id = value.id === null || isId(value.id) ? value.id : null;
    const error = value.error;
    if (isRecord(error)) {
      const code = typeof error.code === "number" ? error.code : 0;
      const message = typeof error.message === "string" ? error.message : "";
      return {
        kind: "response",
        id,
        result: undefined,
        error: { code, message },
      };
    }
    return { kind: "response", id, result: value.result };
  }
  return {
    kind: "invalid",
    reason: "neither a request, a notification nor a response",
  };
}

/** Parses one HTTP body or SSE `data` field: a single message or a batch. */
export function parseJsonRpc(text: string): ParsedBody {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return { ok: false, reason: "not JSON" };
  }
  if (Array.isArray(value)) {
    if (value.length === 0) return { ok: false, reason: "empty batch" };
    return { ok: true, batch: true, messages: value.map(classifyMessage) };
  }
  const message = classifyMessage(value);
  if (message.kind === "invalid") return { ok: false, reason: message.reason };
  return { ok: true, batch: false, messages: [message] };
}
