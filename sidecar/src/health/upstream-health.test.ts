import { request } from "undici";
import { afterEach, describe, expect, it } from "vitest";
import type { RunningSidecar } from "../sidecar.js";
import { type RunningProcess, startEverythingServer } from "../testing/everything-server.js";
import { readMetrics, sampleValue } from "../testing/prometheus-text.js";
import { startTestSidecar } from "../testing/sidecar-harness.js";
import { upstreamEndpoint } from "./upstream-health.js";

let sidecar: RunningSidecar | undefined;
let upstream: RunningProcess | undefined;

afterEach(async () => {
  await sidecar?.close();
  await upstream?.stop();
  sidecar = undefined;
  upstream = undefined;
});

interface HealthBody {
  status: string;
  upstream: { url: string; reachable: boolean; checkedAt: string; error?: string };
}

async function getJson(url: string) {
  const response = await request(url);
  return { status: response.statusCode, body: (await response.body.json()) as HealthBody };
}

describe("upstreamEndpoint", () => {
  it("joins the MCP path behind any path the upstream URL carries", () => {
    expect(upstreamEndpoint("http://a:3001", "/mcp").href).toBe("http://a:3001/mcp");
    expect(upstreamEndpoint("http://a:3001/base/", "/mcp").href).toBe("http://a:3001/base/mcp");
  });
});

describe("GET /health", () => {
  it("answers 200 with the probe's latency and the negotiated revision when a sessionful server (server-everything) answers", async () => {
    upstream = await startEverythingServer("streamableHttp");
    sidecar = await startTestSidecar({ MCP_UPSTREAM_URL: upstream.url });
    const { status, body } = await getJson(`${sidecar.proxyUrl}/health`);
    expect(status).toBe(200);
    expect(body).toEqual({
      status: "ok",
      upstream: {
        url: `${upstream.url}/mcp`,
        reachable: true,
        latencyMs: expect.any(Number),
        checkedAt: expect.stringMatching(/^\d{4}-\d\d-\d\dT/),
        // It does not know server/discover: the probe falls back to initialize + ping.
        probe: "initialize+ping",
        protocolVersions: ["2025-11-25"],
      },
    });
  });

  it("serves the cached result within MCP_HEALTH_CACHE_MS", async () => {
    upstream = await startEverythingServer("streamableHttp");
    sidecar = await startTestSidecar({ MCP_UPSTREAM_URL: upstream.url, MCP_HEALTH_CACHE_MS: "60000" });
    const first = await getJson(`${sidecar.proxyUrl}/health`);
    const second = await getJson(`${sidecar.proxyUrl}/health`);
    expect(second.body.upstream.checkedAt).toBe(first.body.upstream.checkedAt);
  });

  it("answers 503 with the error when the upstream stops, while /livez stays 200, and recovers", async () => {
    upstream = await startEverythingServer("streamableHttp");
    const port = upstream.port;
    sidecar = await startTestSidecar({
      MCP_UPSTREAM_URL: upstream.url,
      MCP_HEALTH_CACHE_MS: "0",
      MCP_HEALTH_TIMEOUT_MS: "1000",
    });
    expect((await getJson(`${sidecar.proxyUrl}/health`)).status).toBe(200);
    await upstream.stop();
    const down = await getJson(`${sidecar.proxyUrl}/health`);
    expect(down.status).toBe(503);
    expect(down.body.status).toBe("unavailable");
    expect(down.body.upstream.reachable).toBe(false);
    expect(down.body.upstream.error).toEqual(expect.any(String));
    expect(await getJson(`${sidecar.proxyUrl}/livez`)).toEqual({ status: 200, body: { status: "ok" } });
    expect(sampleValue(await readMetrics(sidecar.metricsUrl), "mcp_upstream_up", { server_name: "everything" })).toBe(
      0,
    );
    upstream = await startEverythingServer("streamableHttp", port);
    expect((await getJson(`${sidecar.proxyUrl}/health`)).status).toBe(200);
    expect(sampleValue(await readMetrics(sidecar.metricsUrl), "mcp_upstream_up", { server_name: "everything" })).toBe(
      1,
    );
  });

  it("pings an HTTP+SSE upstream over its /sse endpoint", async () => {
    upstream = await startEverythingServer("sse");
    sidecar = await startTestSidecar({ MCP_UPSTREAM_URL: upstream.url, MCP_UPSTREAM_TRANSPORT: "sse" });
    const { status, body } = await getJson(`${sidecar.proxyUrl}/health`);
    expect(status).toBe(200);
    expect(body.upstream.url).toBe(`${upstream.url}/sse`);
  });
});
