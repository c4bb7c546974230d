import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { RunningSidecar } from "../sidecar.js";
import { type RunningProcess, startEverythingServer } from "../testing/everything-server.js";
import { type MetricPoint, readMetrics } from "../testing/prometheus-text.js";
import { startTestSidecar } from "../testing/sidecar-harness.js";
import { durationBucketsSeconds } from "./semconv.js";
import { requestDurationBuckets } from "./slo-instruments.js";

describe("requestDurationBuckets", () => {
  it("adds the latency threshold as a boundary, in order", () => {
    const buckets = requestDurationBuckets({ latency: { thresholdSeconds: 0.3, objective: 0.99 } });
    expect(buckets).toEqual([...durationBucketsSeconds, 0.3].sort((a, b) => a - b));
    expect(buckets.indexOf(0.3)).toBe(buckets.indexOf(0.25) + 1);
  });

  it("keeps the default boundaries when the threshold is one already, or there is no latency objective", () => {
    expect(requestDurationBuckets({ latency: { thresholdSeconds: 0.5, objective: 0.99 } })).toEqual(
      durationBucketsSeconds,
    );
    expect(requestDurationBuckets({ availability: 0.999 })).toEqual(durationBucketsSeconds);
  });
});

describe("a sidecar with objectives in its env (MCP_SLO_*)", () => {
  let upstream: RunningProcess;
  let sidecar: RunningSidecar;
  let metrics: MetricPoint[];

  beforeAll(async () => {
    upstream = await startEverythingServer("streamableHttp");
    sidecar = await startTestSidecar({
      MCP_UPSTREAM_URL: upstream.url,
      MCP_UPSTREAM_NAME: "weather",
      MCP_SLO_AVAILABILITY: "99.9",
      MCP_SLO_LATENCY_THRESHOLD: "300ms",
      MCP_SLO_LATENCY_OBJECTIVE: "99",
    });
    const client = new Client({ name: "mcpscope-test", version: "1.0.0" });
    const transport = new StreamableHTTPClientTransport(new URL(`${sidecar.proxyUrl}/mcp`));
    await client.connect(transport);
    await client.ping();
    await transport.terminateSession();
    await client.close();
    metrics = await readMetrics(sidecar.metricsUrl);
  });

  afterAll(async () => {
    await sidecar?.close();
    await upstream?.stop();
  });

  it("exports mcp_slo_objective_ratio per objective, the latency one carrying its threshold as le", () => {
    expect(metrics.filter((p) => p.name === "mcp_slo_objective_ratio")).toEqual([
      { name: "mcp_slo_objective_ratio", labels: { server_name: "weather", slo: "availability" }, value: 0.999 },
      { name: "mcp_slo_objective_ratio", labels: { server_name: "weather", slo: "latency", le: "0.3" }, value: 0.99 },
    ]);
  });

  it("makes the threshold a bucket of mcp_request_duration_seconds, whose le matches the objective's", () => {
    const pingBuckets = metrics
      .filter((p) => p.name === "mcp_request_duration_seconds_bucket" && p.labels.method === "ping")
      .map((p) => p.labels.le);
    expect(pingBuckets).toContain("0.3");
    expect(pingBuckets.indexOf("0.3")).toBe(pingBuckets.indexOf("0.25") + 1);
  });
});

describe("a sidecar with no objectives", () => {
  it("exports no mcp_slo_objective_ratio and the default buckets", async () => {
    const upstream = await startEverythingServer("streamableHttp");
    const sidecar = await startTestSidecar({ MCP_UPSTREAM_URL: upstream.url });
    try {
      const text = await (await fetch(sidecar.metricsUrl)).text();
      expect(text).not.toContain("mcp_slo_objective_ratio");
    } finally {
      await sidecar.close();
      await upstream.stop();
    }
  });
});
