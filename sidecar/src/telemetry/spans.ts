import {
  type Attributes,
  defaultTextMapGetter,
  ROOT_CONTEXT,
  type Span,
  SpanKind,
  SpanStatusCode,
  type Tracer,
} from "@opentelemetry/api";
import { W3CTraceContextPropagator } from "@opentelemetry/core";
import type { JsonCost } from "../context/json-cost.js";
import type { Outcome } from "../mcp/results.js";
import { Attr, ContextSpanAttr, semconvErrorAttributes } from "./semconv.js";

/** W3C trace context: from the request's params._meta (MCP 2026-07-28) or the HTTP headers. */
export interface TraceCarrier {
  traceparent?: string | undefined;
  tracestate?: string | undefined;
}

export interface RequestSpanStart {
  /** mcp.method.name, already bounded. */
  method: string;
  /** The tool (already bounded as the metrics bound it) or the prompt named by the request. */
  toolName?: string | undefined;
  promptName?: string | undefined;
  requestId: string | number;
  sessionId?: string | undefined;
  protocolVersion?: string | undefined;
  networkTransport?: "tcp" | "pipe" | undefined;
  /** params._meta first, then the HTTP headers: the first that names a valid parent wins. */
  parents: TraceCarrier[];
}

export interface RequestSpan {
  /** `result`: a tools/call result's cost, recorded as mcpscope.tool.result.{tokens,bytes}. */
  end(outcome: Outcome, result?: JsonCost): void;
}

/** What the observer needs to trace requests; absent when tracing is off. */
export interface McpTracer {
  startRequest(start: RequestSpanStart): RequestSpan;
}

const propagator = new W3CTraceContextPropagator();
/** Prompt names are not learned like tool names: long ones are left out of span names. */
const maxPromptNameLength = 64;

/**
 * One SERVER span per JSON-RPC request, as the OTel MCP semantic conventions' `mcp.server` span:
 * name `{mcp.method.name} {target}`, the request's attributes, and status ERROR only for what the
 * conventions count as errors (not the caller's mistakes). Arguments and results are never recorded;
 * a tools/call result's size is (its bytes and estimated tokens, under mcpscope.*).
 */
export function createMcpTracer(tracer: Tracer, serverName: string): McpTracer {
  return {
    startRequest(start) {
      const parent = parentContext(start.parents);
      const prompt =
        start.promptName !== undefined && start.promptName.length <= maxPromptNameLength ? start.promptName : undefined;
      const target = start.toolName ?? prompt;
      const attributes: Attributes = {
        [Attr.mcpMethodName]: start.method,
        "jsonrpc.request.id": String(start.requestId),
        [Attr.serverName]: serverName,
      };
      if (start.toolName !== undefined) {
        attributes[Attr.genAiToolName] = start.toolName;
        attributes["gen_ai.operation.name"] = "execute_tool";
      }
      if (prompt !== undefined) attributes["gen_ai.prompt.name"] = prompt;
      if (start.sessionId !== undefined) attributes["mcp.session.id"] = start.sessionId;
      if (start.protocolVersion !== undefined) attributes[Attr.mcpProtocolVersion] = start.protocolVersion;
      if (start.networkTransport !== undefined) attributes[Attr.networkTransport] = start.networkTransport;
      const span = tracer.startSpan(
        target === undefined ? start.method : `${start.method} ${target}`,
        { kind: SpanKind.SERVER, attributes },
        parent,
      );
      return { end: (outcome, result) => endSpan(span, outcome, result) };
    },
  };
}

function endSpan(span: Span, outcome: Outcome, result: JsonCost | undefined): void {
  const errorAttributes = semconvErrorAttributes(outcome);
  span.setAttributes(errorAttributes);
  if (result) {
    span.setAttributes({ [ContextSpanAttr.resultTokens]: result.tokens, [ContextSpanAttr.resultBytes]: result.bytes });
  }
  // Only what the conventions count as errors (error.type set) makes the span's status ERROR.
  if (outcome.status === "error" && errorAttributes[Attr.errorType] !== undefined) {
    span.setStatus({ code: SpanStatusCode.ERROR, message: outcome.message ?? outcome.errorType });
  } else if (outcome.status === "cancelled") {
    span.setAttribute("mcp.request.cancelled", true);
  }
  span.end();
}

function parentContext(carriers: TraceCarrier[]) {
  for (const carrier of carriers) {
    if (!carrier.traceparent) continue;
    const extracted = propagator.extract(ROOT_CONTEXT, carrier, defaultTextMapGetter);
    if (extracted !== ROOT_CONTEXT) return extracted;
  }
  return ROOT_CONTEXT; // no valid parent: a new trace
}
