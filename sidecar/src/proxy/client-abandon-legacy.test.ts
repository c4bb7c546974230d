import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { RunningSidecar } from "../sidecar.js";
import { type RunningProcess, startEverythingServer } from "../testing/everything-server.js";
import { readMetrics, sampleValue } from "../testing/prometheus-text.js";
import { abandonedPerKind, abandonInBatches, holdStream, quietSidecarFor } from "./client-abandon.test-support.js";

let legacy: RunningProcess;
let sidecar: RunningSidecar;

beforeAll(async () => {
  legacy = await startEverythingServer("sse");
  sidecar = await quietSidecarFor(legacy.url, { MCP_UPSTREAM_TRANSPORT: "sse" });
});

afterAll(async () => {
  await sidecar?.close();
  await legacy?.stop();
});

describe("clients that abandon legacy HTTP+SSE streams", { timeout: 180_000 }, () => {
  it("closes the upstream side of 1,000 abandoned legacy /sse streams", async () => {
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
