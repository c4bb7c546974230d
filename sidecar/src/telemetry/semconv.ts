import type { Attributes } from "@opentelemetry/api";
import { callerMistakeCodes, statusCodeAttribute } from "../mcp/error-codes.js";
import type { Outcome } from "../mcp/results.js";

/**
 * Metric and attribute names. The three `mcp_*` names are the ones the per-server PromQL queries use;
 * the OTel MCP semantic-convention names are still in development, so they are copied here and
 * pinned rather than imported from the `incubating` entry point.
 */
export const MetricName = {
  requests: "mcp_requests",
  toolCalls: "mcp_tool_calls",
  requestDuration: "mcp_request_duration_seconds",
  sessionsActive: "mcp_sessions_active",
  /** Long-lived streams (GET, legacy SSE, subscriptions/listen): open now, and how long they lasted. */
  streamsActive: "mcp_streams_active",
  streamDuration: "mcp_stream_duration_seconds",
  sidecarErrors: "mcp_sidecar_errors",
  upstreamUp: "mcp_upstream_up",
  /** Requests this sidecar handed to the replica holding their session (counted there, not here). */
  replicaForwards: "mcp_replica_forwards",
  /** semconv: mcp.server.operation.duration (histogram, s) */
  serverOperationDuration: "mcp.server.operation.duration",
  /** semconv: mcp.server.session.duration (histogram, s) */
  serverSessionDuration: "mcp.server.session.duration",
} as const;

export const Attr = {
  serverName: "server_name",
  method: "method",
  status: "status",
  toolName: "tool_name",
  reason: "reason",
  errorTypeLabel: "error_type",
  streamKind: "kind",
  /** semconv */
  mcpMethodName: "mcp.method.name",
  genAiToolName: "gen_ai.tool.name",
  errorType: "error.type",
  rpcResponseStatusCode: "rpc.response.status_code",
  mcpProtocolVersion: "mcp.protocol.version",
  networkTransport: "network.transport",
} as const;

/** Buckets from 1 ms to 5 min: MCP tool calls range from cache hits to long-running jobs. */
export const durationBucketsSeconds = [
  0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300,
];

/**
 * mcp_server_operation_duration's boundaries: the ones the OTel MCP semantic conventions say the metric
 * SHOULD be specified with (docs/gen-ai/mcp.md), 14 where durationBucketsSeconds has 17 — three series
 * fewer per label set. mcp_request_duration_seconds keeps the finer low end for the dashboards and SLOs.
 */
export const operationDurationBucketsSeconds = [0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1, 2, 5, 10, 30, 60, 120, 300];

/**
 * Session and stream lifetimes: seconds to a day. (The conventions advise the operation boundaries for
 * session duration too, which end at 5 minutes: every MCP session would land above the last bucket.)
 */
export const sessionBucketsSeconds = [1, 5, 15, 60, 300, 900, 1800, 3600, 7200, 21600, 86400];

/**
 * Context cost: what a server's catalogue, instructions and results cost a model's context window.
 * Prometheus names as exported (gauges and a histogram: no suffix is added to them); the collector's
 * Prometheus exporter keeps them too (the `{…}` units are annotations, "By" is already "_bytes").
 */
export const ContextMetricName = {
  toolsListed: "mcp_tools_listed",
  toolsListBytes: "mcp_tools_list_bytes",
  toolsListTokens: "mcp_tools_list_tokens",
  toolDefinitionTokens: "mcp_tool_definition_tokens",
  instructionsTokens: "mcp_instructions_tokens",
  toolResultTokens: "mcp_tool_result_tokens",
} as const;

/** Span attributes of a tools/call result (the MCP conventions define none, hence mcpscope.*). */
export const ContextSpanAttr = {
  resultTokens: "mcpscope.tool.result.tokens",
  resultBytes: "mcpscope.tool.result.bytes",
} as const;

/**
 * Tool result tokens, 1,000 to 100,000: each bound is a budget the chart and the dashboard offer, so the
 * share over it is exact (25,000 the default). None below 1,000: no client's limit is set there, a
 * result that small costs little context, and each bound is a series per tool (README "Series per server").
 */
export const resultTokenBuckets = [1000, 2500, 5000, 10_000, 25_000, 50_000, 100_000];

/** Why the sidecar itself answered or failed, for `mcp_sidecar_errors_total{reason}`. */
export const SidecarErrorReason = {
  upstreamUnreachable: "upstream_unreachable",
  upstreamTimeout: "upstream_timeout",
  bodyTooLarge: "body_too_large",
  malformedJsonRpc: "malformed_jsonrpc",
  /** The client's request was refused as malformed HTTP (4xx from the sidecar: bad headers, smuggling shapes). */
  badRequest: "bad_request",
  /** The sidecar itself failed (5xx it wrote, or an error it did not expect). */
  internalError: "internal_error",
  /** The client took longer than MCP_REQUEST_TIMEOUT_MS to send its request. */
  requestTimeout: "request_timeout",
  observerFailure: "observer_failure",
  /** The upstream ended the response without answering (and without breaking the stream). */
  noResponse: "no_response",
  /** The upstream broke the stream mid-way (reset, killed). */
  upstreamBroken: "upstream_broken",
  /** The upstream answered 2xx with a body that is not JSON-RPC. */
  invalidResponse: "invalid_response",
  /** The stdio bridge is full: every session slot is taken. */
  bridgeFull: "bridge_full",
  /** The request's session lives on a replica that is gone: answered 404 (unknown session). */
  replicaGone: "replica_gone",
} as const;
export type SidecarErrorReason = (typeof SidecarErrorReason)[keyof typeof SidecarErrorReason];

/**
 * The OTel MCP conventions' error attributes of an outcome, for the semconv histogram and the span
 * alike: a JSON-RPC error records its code as rpc.response.status_code, and error.type is set only for
 * what is a server error (not the caller's mistakes); other errors (tool_error, a sidecar reason, an
 * HTTP status) are error.type. Pure.
 */
export function semconvErrorAttributes(outcome: Outcome): Attributes {
  if (outcome.status !== "error") return {};
  return semconvErrorAttributesOf(
    outcome.errorType,
    outcome.code === undefined ? undefined : statusCodeAttribute(outcome.code),
  );
}

/**
 * The same from an error's bounded parts: its error type and, for a JSON-RPC error, its code as
 * statusCodeAttribute gives it ("_OTHER" for a code MCP does not define, never a caller's mistake). Pure.
 */
export function semconvErrorAttributesOf(errorType: string | undefined, statusCode: string | undefined): Attributes {
  if (statusCode === undefined) return errorType === undefined ? {} : { [Attr.errorType]: errorType };
  return callerMistakeCodes.has(Number(statusCode))
    ? { [Attr.rpcResponseStatusCode]: statusCode }
    : { [Attr.rpcResponseStatusCode]: statusCode, [Attr.errorType]: statusCode };
}
