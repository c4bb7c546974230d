import { describe, expect, it } from "vitest";
import { printedSpan } from "./printed-span.js";

// What @opentelemetry/sdk-trace-base's ConsoleSpanExporter printed for two sidecar spans (abridged).
const output = `{"level":30,"msg":"listening"}
{
  resource: { attributes: { 'service.name': 'mcp-sidecar-x' } },
  traceId: '9d94bad68b7c8405a79877626a37108d',
  parentSpanContext: undefined,
  name: 'initialize',
  id: 'e2e7488514580cad',
  duration: 10885.795,
  attributes: { 'mcp.method.name': 'initialize' },
  status: { code: 0 }
}
{
  resource: { attributes: { 'service.name': 'mcp-sidecar-x' } },
  traceId: '4bf92f3577b34da6a3ce929d0e0e4736',
  parentSpanContext: {
    traceId: '4bf92f3577b34da6a3ce929d0e0e4736',
    spanId: '00f067aa0ba902b7',
    traceFlags: 1,
    isRemote: true
  },
  traceState: undefined,
  name: 'tools/call echo',
  id: 'e010aa784999ba3f',
  kind: 1,
  duration: 11155.375,
  status: { code: 0 }
}
`;

describe("printedSpan", () => {
  it("finds the span of a trace with its parent and duration", () => {
    expect(printedSpan(output, "4bf92f3577b34da6a3ce929d0e0e4736")).toEqual({
      traceId: "4bf92f3577b34da6a3ce929d0e0e4736",
      spanId: "e010aa784999ba3f",
      parentSpanId: "00f067aa0ba902b7",
      name: "tools/call echo",
      durationMs: 11.155375,
    });
  });

  it("gives a root span an empty parent, and nothing for an unknown trace", () => {
    expect(printedSpan(output, "9d94bad68b7c8405a79877626a37108d")?.parentSpanId).toBe("");
    expect(printedSpan(output, "0".repeat(32))).toBeUndefined();
  });
});
