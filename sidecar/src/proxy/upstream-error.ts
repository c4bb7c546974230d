import { parseJsonRpc } from "../mcp/jsonrpc.js";
import { SidecarErrorReason } from "../telemetry/semconv.js";

/** JSON-RPC wire codes the sidecar itself answers with (the MCP SDK's ConnectionClosed / RequestTimeout). */
export const JsonRpcWireCode = {
  connectionClosed: -32000,
  requestTimeout: -32001,
  invalidRequest: -32600,
} as const;

export interface SidecarAnswer {
  statusCode: number;
  reason: SidecarErrorReason;
  /** error.type recorded for the exchange. */
  errorType: string;
  body: string;
}

const timeoutCodes = new Set([
  "UND_ERR_HEADERS_TIMEOUT",
  "UND_ERR_CONNECT_TIMEOUT",
  "UND_ERR_BODY_TIMEOUT",
  "ETIMEDOUT",
]);

/** Finds the most specific error code on an error chain (reply-from wraps undici's error in `cause`). */
export function errorCodeOf(error: unknown): string | undefined {
  let current: unknown = error;
  let found: string | undefined;
  for (let depth = 0; depth < 5 && current && typeof current === "object"; depth++) {
    const code = (current as { code?: unknown }).code;
    if (typeof code === "string") found = code;
    current = (current as { cause?: unknown }).cause;
  }
  return found;
}

/**
 * The reply for a request the upstream could not answer: a JSON-RPC error per request id (so the
 * client's pending call fails at once rather than hanging), 504 for time-outs and 502 otherwise.
 */
export function answerForUpstreamFailure(
  error: unknown,
  upstream: string,
  requestBody: Uint8Array | undefined,
): SidecarAnswer {
  const code = errorCodeOf(error) ?? "UNKNOWN";
  const timedOut = timeoutCodes.has(code) || (error as { statusCode?: number } | undefined)?.statusCode === 504;
  const message = timedOut
    ? `mcpscope: upstream ${upstream} did not answer in time (${code})`
    : `mcpscope: upstream ${upstream} is unreachable (${code})`;
  const wireCode = timedOut ? JsonRpcWireCode.requestTimeout : JsonRpcWireCode.connectionClosed;
  return {
    statusCode: timedOut ? 504 : 502,
    reason: timedOut ? SidecarErrorReason.upstreamTimeout : SidecarErrorReason.upstreamUnreachable,
    errorType: timedOut ? SidecarErrorReason.upstreamTimeout : SidecarErrorReason.upstreamUnreachable,
    body: jsonRpcErrorBody(requestBody, wireCode, message, code),
  };
}

/** The reply for a body the sidecar refuses to forward (over the size limit). */
export function answerForRejectedBody(statusCode: number, message: string): SidecarAnswer {
  return {
    statusCode,
    reason: statusCode === 413 ? SidecarErrorReason.bodyTooLarge : SidecarErrorReason.badRequest,
    errorType: String(statusCode),
    body: JSON.stringify({
      jsonrpc: "2.0",
      id: null,
      error: { code: JsonRpcWireCode.invalidRequest, message },
    }),
  };
}

/** One error object per request id in the body (a batch gets a batch), or one with id null. */
export function jsonRpcErrorBody(
  requestBody: Uint8Array | undefined,
  code: number,
  message: string,
  cause: string,
): string {
  const error = { code, message, data: { cause } };
  const ids: (string | number)[] = [];
  let batch = false;
  if (requestBody && requestBody.byteLength > 0) {
    const parsed = parseJsonRpc(Buffer.from(requestBody).toString("utf8"));
    if (parsed.ok) {
      batch = parsed.batch;
      for (const m of parsed.messages) if (m.kind === "request") ids.push(m.id);
    }
  }
  if (batch && ids.length > 0) return JSON.stringify(ids.map((id) => ({ jsonrpc: "2.0", id, error })));
  return JSON.stringify({ jsonrpc: "2.0", id: ids[0] ?? null, error });
}
