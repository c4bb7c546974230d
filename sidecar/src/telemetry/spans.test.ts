import { SpanKind, SpanStatusCode } from "@opentelemetry/api";
import { InMemorySpanExporter, SimpleSpanProcessor, TracerProvider } from "@opentelemetry/sdk-trace";
import { afterEach, describe, expect, it } from "vitest";
import { createMcpTracer } from "./spans.js";

const exporter = new InMemorySpanExporter();
const provider = new TracerProvider({ spanProcessors: [new SimpleSpanProcessor({ exporter })] });
const tracer = createMcpTracer(provider.getTracer("test"), "weather");
const parent = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";

afterEach(() => exporter.reset());

describe("createMcpTracer", () => {
  it("starts a SERVER span named after method and tool, under the _meta parent before the HTTP one", () => {
    tracer
      .startRequest({
        method: "tools/call",
        toolName: "echo",
        requestId: 7,
        sessionId: "s-1",
        protocolVersion: "2025-11-25",
        networkTransport: "tcp",
        parents: [{ traceparent: parent }, { traceparent: "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01" }],
      })
      .end({ status: "ok" });
    const [span] = exporter.getFinishedSpans();
    expect(span?.name).toBe("tools/call echo");
    expect(span?.kind).toBe(SpanKind.SERVER);
    expect(span?.spanContext().traceId).toBe("4bf92f3577b34da6a3ce929d0e0e4736");
    expect(span?.parentSpanContext?.spanId).toBe("00f067aa0ba902b7");
    expect(span?.attributes).toEqual({
      "mcp.method.name": "tools/call",
      "jsonrpc.request.id": "7",
      server_name: "weather",
      "gen_ai.tool.name": "echo",
      "gen_ai.operation.name": "execute_tool",
      "mcp.session.id": "s-1",
      "mcp.protocol.version": "2025-11-25",
      "network.transport": "tcp",
    });
    expect(span?.status.code).toBe(SpanStatusCode.UNSET);
  });

  it("starts a new trace when no parent is valid", () => {
    tracer
      .startRequest({ method: "ping", requestId: 1, parents: [{ traceparent: "garbage" }, {}] })
      .end({ status: "ok" });
    expect(exporter.getFinishedSpans()[0]?.parentSpanContext).toBeUndefined();
  });

  it("sets ERROR with the message for server faults and tool errors, not for the caller's mistakes", () => {
    const start = { method: "tools/call", requestId: 1, parents: [] };
    tracer.startRequest(start).end({ status: "error", errorType: "internal_error", code: -32603, message: "boom" });
    tracer.startRequest(start).end({ status: "error", errorType: "tool_error" });
    tracer.startRequest(start).end({ status: "error", errorType: "invalid_params", code: -32602, message: "bad" });
    const [fault, tool, mistake] = exporter.getFinishedSpans();
    expect(fault?.status).toEqual({ code: SpanStatusCode.ERROR, message: "boom" });
    expect(fault?.attributes).toMatchObject({ "error.type": "-32603", "rpc.response.status_code": "-32603" });
    expect(tool?.status.code).toBe(SpanStatusCode.ERROR);
    expect(tool?.attributes["error.type"]).toBe("tool_error");
    expect(mistake?.status.code).toBe(SpanStatusCode.UNSET);
    expect(mistake?.attributes["rpc.response.status_code"]).toBe("-32602");
    expect(mistake?.attributes["error.type"]).toBeUndefined();
  });
});
