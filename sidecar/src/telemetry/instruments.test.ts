import { afterEach, describe, expect, it } from "vitest";
import { ok } from "../mcp/results.js";
import { inMemoryMetrics, pointsOf } from "../testing/in-memory-metrics.js";
import { createMcpInstruments } from "./instruments.js";
import { durationBucketsSeconds } from "./semconv.js";

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
