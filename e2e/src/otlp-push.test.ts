import {
  type RunningProcess,
  readMetrics,
  runClientScenario,
  sampleValue,
  startEverythingServer,
  startTestSidecar,
} from "@mcpscope/sidecar/testing";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { type RunningCollector, startCollector } from "./harness/otelcol.js";

let collector: RunningCollector;
let upstream: RunningProcess;

beforeAll(async () => {
  collector = await startCollector(inject("tools").OTELCOL);
  upstream = await startEverythingServer("streamableHttp");
});

afterAll(async () => {
  await upstream?.stop();
  await collector?.stop();
});

async function conversation(url: string) {
  const client = new Client({ name: "otlp-test", version: "1.0.0" });
  const transport = new StreamableHTTPClientTransport(new URL(`${url}/mcp`));
  await client.connect(transport);
  await runClientScenario(client);
  await transport.terminateSession();
  await client.close();
}

describe("OTLP push from the sidecar to the real OpenTelemetry Collector", () => {
  it("reaches the collector's Prometheus exporter under mcpscope's metric names (mcp_requests_total, …) with server_name", async () => {
    const sidecar = await startTestSidecar({
      MCP_UPSTREAM_URL: upstream.url,
      MCP_UPSTREAM_NAME: "weather",
      OTEL_EXPORTER_OTLP_ENDPOINT: collector.otlpHttpUrl,
      OTEL_METRIC_EXPORT_INTERVAL: "500",
    });
    try {
      await conversation(sidecar.proxyUrl);
      // The sidecar's own /metrics is final once the conversation is over; the collector catches up.
      const direct = await readMetrics(sidecar.metricsUrl);
      expect(sampleValue(direct, "mcp_tool_calls_total", { server_name: "weather" })).toBe(3);
      for (const name of ["mcp_requests_total", "mcp_tool_calls_total", "mcp_request_duration_seconds_count"]) {
        const expected = sampleValue(direct, name, { server_name: "weather" });
        await expect
          .poll(async () => sampleValue(await readMetrics(collector.metricsUrl), name, { server_name: "weather" }), {
            timeout: 15_000,
          })
          .toBe(expected);
      }
      const points = await readMetrics(collector.metricsUrl);
      expect(
        sampleValue(points, "mcp_requests_total", { server_name: "weather", method: "tools/call", status: "error" }),
      ).toBe(1);
      expect(points.some((p) => p.name === "mcp_request_duration_seconds_bucket" && p.labels.le === "0.5")).toBe(true);
      expect(points.some((p) => p.name === "mcp_server_operation_duration_seconds_count")).toBe(true);
      // The collector names the job after service.name, as the dashboards expect.
      expect(points.find((p) => p.name === "mcp_requests_total")?.labels.job).toBe("mcp-sidecar-weather");
    } finally {
      await sidecar.close();
    }
  });

  it("flushes the last metrics on shutdown, before the next export would have run", async () => {
    const sidecar = await startTestSidecar({
      MCP_UPSTREAM_URL: upstream.url,
      MCP_UPSTREAM_NAME: "flushed",
      OTEL_EXPORTER_OTLP_ENDPOINT: collector.otlpHttpUrl,
      OTEL_METRIC_EXPORT_INTERVAL: "3600000",
    });
    await conversation(sidecar.proxyUrl);
    await sidecar.close();
    await expect
      .poll(
        async () =>
          sampleValue(await readMetrics(collector.metricsUrl), "mcp_tool_calls_total", { server_name: "flushed" }),
        {
          timeout: 15_000,
        },
      )
      .toBe(3);
  });
});
