import { describe, expect, it } from "vitest";
import { startEverythingServer } from "../testing/everything-server.js";
import { readMetrics, sampleValue } from "../testing/prometheus-text.js";
import { abandonedPerKind, abandonInBatches, holdStream, quietStack } from "./client-abandon.test-support.js";

const stack = quietStack(
  () => startEverythingServer("sse"),
  (u) => u.stop(),
  { MCP_UPSTREAM_TRANSPORT: "sse" },
);

describe("clients that abandon legacy HTTP+SSE streams", { timeout: 180_000 }, () => {
  it(`closes the upstream side of ${abandonedPerKind.toLocaleString("en-US")} abandoned legacy /sse streams`, async () => {
    const { upstream: legacy, sidecar } = stack();
    await abandonInBatches(
      legacy.url,
      (signal) =>
        holdStream(`${sidecar.proxyUrl}/sse`, { method: "GET", headers: { accept: "text/event-stream" }, signal }),
      "heads",
    );
    const points = await readMetrics(sidecar.metricsUrl);
    expect(sampleValue(points, "mcp_stream_duration_seconds_count", { kind: "legacy_sse" })).toBe(abandonedPerKind);
    expect(sampleValue(points, "mcp_streams_active", { kind: "legacy_sse" })).toBe(0);
    expect(sampleValue(points, "mcp_sessions_active")).toBe(0);
  });
});
