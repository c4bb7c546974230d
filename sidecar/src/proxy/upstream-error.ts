import { SidecarErrorCode } from "../errors.js";
import { WireErrorCode } from "../mcp/error-codes.js";
import { parseJsonRpc } from "../mcp/jsonrpc.js";
import { SidecarErrorReason } from "../telemetry/semconv.js";

export interface SidecarAnswer {
  statusCode: number;
  /** The error registry's code: in the answer's error.data.code and on the log line. */
  code: SidecarErrorCode;
  reason: SidecarErrorReason;
  /** error.type recorded for the exchange. */
  errorType: string;
  body: string;
}

/** The client went away before its exchange ended: the upstream request is aborted with this. */
export class ClientGoneError extends Error {
  readonly code = SidecarErrorCode.clientClosed;
  constructor() {
    super("mcpscope: the client closed its connection");
    this.name = "ClientGoneError";
  }
}

/** No response head within MCP_UPSTREAM_TIMEOUT_MS, counted from arrival (so pool waits count too). */
export class UpstreamHeadTimeoutError extends Error {
  readonly code = SidecarErrorCode.upstreamTimeout;
  constructor(timeoutMs: number) {
    super(`no response head within ${timeoutMs} ms`);
    this.name = "UpstreamHeadTimeoutError";
  }
}

const timeoutCodes = new Set([
  SidecarErrorCode.upstreamTimeout as string,
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
  const wireCode = timedOut ? WireErrorCode.RequestTimeout : WireErrorCode.ConnectionClosed;
  const sidecarCode = timedOut ? SidecarErrorCode.upstreamTimeout : SidecarErrorCode.upstreamUnreachable;
  return {
    statusCode: timedOut ? 504 : 502,
    code: sidecarCode,
    reason: timedOut ? SidecarErrorReason.upstreamTimeout : SidecarErrorReason.upstreamUnreachable,
    errorType: timedOut ? SidecarErrorReason.upstreamTimeout : SidecarErrorReason.upstreamUnreachable,
    body: jsonRpcErrorBody(requestBody, wireCode, message, code, sidecarCode),
  };
}

/**
 * The reply for a request whose session lives on a replica that is gone: what an MCP server answers
 * for an unknown session (404 with a JSON-RPC error, as the MCP SDK's servers write it), so the client
 * starts a new session at once.
 */
export function answerForReplicaGone(requestBody: Uint8Array | undefined, replicaIp: string): SidecarAnswer {
  return {
    statusCode: 404,
    code: SidecarErrorCode.replicaGone,
    reason: SidecarErrorReason.replicaGone,
    errorType: SidecarErrorReason.replicaGone,
    body: jsonRpcErrorBody(
      requestBody,
      WireErrorCode.RequestTimeout,
      "Session not found (mcpscope: the replica that held this session is gone; start a new session)",
      `replica ${replicaIp}`,
      SidecarErrorCode.replicaGone,
    ),
  };
}

/**
 * The reply for a request the sidecar refuses before forwarding it: over the size limit (413), sent
 * too slowly (408), malformed HTTP (other 4xx), or a failure of the sidecar's own (5xx).
 */
export function answerForRefusedRequest(statusCode: number, message: string): SidecarAnswer {
  const [reason, sidecarCode] =
    statusCode === 413
      ? [SidecarErrorReason.bodyTooLarge, SidecarErrorCode.bodyTooLarge]
      : statusCode === 408
        ? [SidecarErrorReason.requestTimeout, SidecarErrorCode.requestTimeout]
        : statusCode >= 500
          ? [SidecarErrorReason.internalError, SidecarErrorCode.internal]
          : [SidecarErrorReason.badRequest, SidecarErrorCode.badRequest];
  return {
    statusCode,
    code: sidecarCode,
    reason,
    errorType: reason,
    body: JSON.stringify({
      jsonrpc: "2.0",
      id: null,
      error: {
        code: statusCode >= 500 ? WireErrorCode.InternalError : WireErrorCode.InvalidRequest,
        message,
        data: { code: sidecarCode },
      },
    }),
  };
}

/** What Node's HTTP parser refuses before any route runs (fastify's clientError), as a status and message. */
export function refusalOfClientError(code: string | undefined): { statusCode: number; message: string } {
  if (code === "ERR_HTTP_REQUEST_TIMEOUT")
    return { statusCode: 408, message: "mcpscope: the request was not received in time (MCP_REQUEST_TIMEOUT_MS)" };
  if (code === "HPE_HEADER_OVERFLOW") return { statusCode: 431, message: "mcpscope: request headers are too large" };
  return { statusCode: 400, message: `mcpscope: malformed HTTP request (${code ?? "unknown"})` };
}

/** One error object per request id in the body (a batch gets a batch), or one with id null. */
export function jsonRpcErrorBody(
  requestBody: Uint8Array | undefined,
  code: number,
  message: string,
  cause: string,
  sidecarCode: SidecarErrorCode,
): string {
  const error = { code, message, data: { cause, code: sidecarCode } };
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
