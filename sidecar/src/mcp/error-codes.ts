/**
 * JSON-RPC wire codes MCP peers send, as the MCP SDK's ErrorCode defines them (error-codes.test.ts
 * pins each to the SDK, which the proxy does not load on its hot path) plus the spec's −32002.
 */
export const WireErrorCode = {
  ConnectionClosed: -32000,
  RequestTimeout: -32001,
  ResourceNotFound: -32002,
  UrlElicitationRequired: -32042,
  ParseError: -32700,
  InvalidRequest: -32600,
  MethodNotFound: -32601,
  InvalidParams: -32602,
  InternalError: -32603,
} as const;
export type WireErrorCode = (typeof WireErrorCode)[keyof typeof WireErrorCode];

/** error_type label values for known codes; any other code is "other", so upstreams cannot mint series. */
const errorTypeByCode: ReadonlyMap<number, string> = new Map([
  [WireErrorCode.ConnectionClosed, "connection_closed"],
  [WireErrorCode.RequestTimeout, "request_timeout"],
  [WireErrorCode.ResourceNotFound, "resource_not_found"],
  [WireErrorCode.UrlElicitationRequired, "url_elicitation_required"],
  [WireErrorCode.ParseError, "parse_error"],
  [WireErrorCode.InvalidRequest, "invalid_request"],
  [WireErrorCode.MethodNotFound, "method_not_found"],
  [WireErrorCode.InvalidParams, "invalid_params"],
  [WireErrorCode.InternalError, "internal_error"],
]);

export const otherErrorType = "other";

export function errorTypeOfCode(code: number): string {
  return errorTypeByCode.get(code) ?? otherErrorType;
}

/** The code as OTel's rpc.response.status_code / error.type take it: the number as a string, bounded. */
export function statusCodeAttribute(code: number): string {
  return errorTypeByCode.has(code) ? String(code) : "_OTHER";
}

/**
 * Codes that report the caller's mistake. The OTel MCP conventions record them on the server side
 * (rpc.response.status_code) but do not count them as server errors; McpHighErrorRate ignores them.
 */
export const callerMistakeCodes: ReadonlySet<number> = new Set([
  WireErrorCode.ParseError,
  WireErrorCode.InvalidRequest,
  WireErrorCode.MethodNotFound,
  WireErrorCode.InvalidParams,
  WireErrorCode.ResourceNotFound,
]);

/** error_type values that are the caller's mistake, for dashboards and alert rules. */
export const callerMistakeErrorTypes: readonly string[] = [...callerMistakeCodes].map(errorTypeOfCode);
