import { afterEach, describe, expect, it } from "vitest";
import { ok } from "../mcp/results.js";
import { inMemoryMetrics, pointsOf } from "../testing/in-memory-metrics.js";
import { createMcpInstruments } from "./instruments.js";
import { durationBucketsSeconds, operationDurationBucketsSeconds } from "./semconv.js";

let shutdown: (() => Promise<void>) | undefined;
afterEach(async () => {
  await shutdown?.();
  shutdown = undefined;
});

/** Two calls of two tools, as the semconv duration histogram keeps them. */
async function semconvPointsFor(toolLatency: boolean) {
  const metrics = inMemoryMetrics();
  shutdown = metrics.shutdown;
  const instruments = createMcpInstruments(metrics.meter, "weather", durationBucketsSeconds, toolLatency);
  for (const toolName of ["forecast", "alerts"])
    instruments.recordExchange({ method: "tools/call", toolName, outcome: ok, durationSeconds: 0.01 });
  return {
    semconv: pointsOf(await metrics.collect(), "mcp.server.operation.duration"),
    toolCalls: pointsOf(await metrics.collect(), "mcp_tool_calls"),
  };
}

describe("per-tool latency on the semconv duration histogram", () => {
  it("is off by default: one series set for all tools, while mcp_tool_calls_total still counts each tool", async () => {
    const { semconv, toolCalls } = await semconvPointsFor(false);
    expect(semconv).toEqual([{ attributes: { server_name: "weather", "mcp.method.name": "tools/call" }, value: 2 }]);
    expect(toolCalls.map((p) => p.attributes.tool_name).sort()).toEqual(["alerts", "forecast"]);
  });

  it("keys the histogram by gen_ai.tool.name when turned on (MCP_TOOL_LATENCY=on)", async () => {
    const { semconv } = await semconvPointsFor(true);
    expect(semconv.map((p) => p.attributes["gen_ai.tool.name"]).sort()).toEqual(["alerts", "forecast"]);
  });
});

describe("duration histograms' buckets", () => {
  it("gives mcp.server.operation.duration the boundaries the MCP conventions advise, and the request histogram its own", async () => {
    const metrics = inMemoryMetrics();
    shutdown = metrics.shutdown;
    const instruments = createMcpInstruments(metrics.meter, "weather", durationBucketsSeconds);
    instruments.recordExchange({ method: "ping", outcome: ok, durationSeconds: 0.01 });
    const points = await metrics.collect();
    const boundariesOf = (name: string) => points.find((p) => p.name === name)?.boundaries;
    // docs/gen-ai/mcp.md: "SHOULD be specified with ExplicitBucketBoundaries of [ 0.01, 0.02, 0.05, … ]".
    expect(boundariesOf("mcp.server.operation.duration")).toEqual([
      0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1, 2, 5, 10, 30, 60, 120, 300,
    ]);
    expect(operationDurationBucketsSeconds).toHaveLength(14);
    expect(boundariesOf("mcp_request_duration_seconds")).toEqual(durationBucketsSeconds);
  });
});

describe("the per-request counters", () => {
  it("count every record into one series per label set, read as monotonic sums at each collection", async () => {
    const metrics = inMemoryMetrics();
    shutdown = metrics.shutdown;
    const instruments = createMcpInstruments(metrics.meter, "weather");
    const toolError = { status: "error", errorType: "tool_error" } as const;
    for (const outcome of [ok, toolError, ok, toolError, toolError])
      instruments.recordExchange({ method: "tools/call", toolName: "forecast", outcome, durationSeconds: 0.01 });
    const first = await metrics.collect();
    expect(pointsOf(first, "mcp_requests")).toEqual([
      {
        attributes: { server_name: "weather", method: "tools/call", status: "error", error_type: "tool_error" },
        value: 3,
      },
      { attributes: { server_name: "weather", method: "tools/call", status: "ok" }, value: 2 },
    ]);
    expect(pointsOf(first, "mcp_tool_calls")).toEqual([
      {
        attributes: { server_name: "weather", tool_name: "forecast", status: "error", error_type: "tool_error" },
        value: 3,
      },
      { attributes: { server_name: "weather", tool_name: "forecast", status: "ok" }, value: 2 },
    ]);
    instruments.recordExchange({ method: "tools/call", toolName: "forecast", outcome: ok, durationSeconds: 0.01 });
    expect(pointsOf(await metrics.collect(), "mcp_requests")[1]).toMatchObject({
      attributes: { status: "ok" },
      value: 3,
    });
  });
});
