import { execFile } from "node:child_process";
import { promisify } from "node:util";
import { request } from "undici";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { RunningSidecar } from "../sidecar.js";
import { type RunningProcess, startEverythingServer } from "../testing/everything-server.js";
import { initializeSession } from "../testing/mcp-http.js";
import { type RunningModernServer, startModernServer } from "../testing/modern-server.js";
import { readMetrics, sampleValue } from "../testing/prometheus-text.js";
import { startTestSidecar } from "../testing/sidecar-harness.js";

// Clients that leave: 1,000 abandoned streams of each kind must not leave 1,000 upstream requests
// open (the pool holds 512: a leak is a total outage). The upstream's own sockets are counted.

const accept = "application/json, text/event-stream";
const perKind = 1_000;
const batch = 100;

let everything: RunningProcess;
let legacy: RunningProcess;
let modern: RunningModernServer;
const sidecars: RunningSidecar[] = [];

async function sidecarFor(url: string, env: Record<string, string> = {}): Promise<RunningSidecar> {
  // One health probe at start only, so the upstream's connection count moves with the test's traffic alone.
  const sidecar = await startTestSidecar({
    MCP_UPSTREAM_URL: url,
    MCP_UPSTREAM_TIMEOUT_MS: "5000",
    MCP_HEALTH_INTERVAL_MS: "3600000",
    MCP_HEALTH_CACHE_MS: "600000",
    ...env,
  });
  sidecars.push(sidecar);
  await (await request(`${sidecar.proxyUrl}/health`)).body.text();
  return sidecar;
}

beforeAll(async () => {
  [everything, legacy, modern] = await Promise.all([
    startEverythingServer("streamableHttp"),
    startEverythingServer("sse"),
    startModernServer(),
  ]);
});

afterAll(async () => {
  await Promise.all(sidecars.map((s) => s.close()));
  await Promise.all([everything?.stop(), legacy?.stop(), modern?.close()]);
});

/** Established TCP connections the upstream listening on `port` holds (its side of the sockets). */
async function upstreamConnections(port: number): Promise<number> {
  const { stdout } = await promisify(execFile)("ss", ["-Htn", "state", "established", `( sport = :${port} )`]);
  return stdout.split("\n").filter((line) => line.trim() !== "").length;
}

/** How long the upstream may take to see a client's close, or calls to get under way. */
const settle = { timeout: 20_000, interval: 20 };

const portOf = (url: string) => Number(new URL(url).port);

/**
 * Opens `perKind` requests in batches; each batch is abandoned (aborted by its client) once all of
 * them are under way — every stream has its head, or the upstream reports every call in progress —
 * and then the upstream must be back to its baseline of connections.
 */
async function abandonInBatches(
  upstreamUrl: string,
  open: (signal: AbortSignal, i: number) => Promise<unknown>,
  underWay: "heads" | (() => boolean),
) {
  const port = portOf(upstreamUrl);
  const baseline = await upstreamConnections(port);
  for (let done = 0; done < perKind; done += batch) {
    const controller = new AbortController();
    const pending = Array.from({ length: batch }, (_, i) =>
      open(controller.signal, done + i).catch((error: unknown) => error),
    );
    if (underWay === "heads") await Promise.all(pending);
    else await expect.poll(underWay, { ...settle, message: `${batch} calls under way upstream` }).toBe(true);
    controller.abort();
    await Promise.all(pending);
    await expect
      .poll(() => upstreamConnections(port), { ...settle, message: "the upstream's connections back to the baseline" })
      .toBeLessThanOrEqual(baseline);
  }
}

/** Opens a request and, once its head arrives, keeps reading until aborted (as a client holding a stream). */
async function holdStream(url: string, init: Parameters<typeof request>[1]): Promise<number> {
  const response = await request(url, init);
  response.body.on("error", () => {});
  response.body.resume();
  return response.statusCode;
}

const modernMeta = {
  "io.modelcontextprotocol/protocolVersion": "2026-07-28",
  "io.modelcontextprotocol/clientInfo": { name: "t", version: "1" },
  "io.modelcontextprotocol/clientCapabilities": {},
};

function modernPost(base: string, method: string, id: number, params: object, signal?: AbortSignal) {
  const name = (params as { name?: string }).name;
  return request(`${base}/mcp`, {
    method: "POST",
    headers: {
      "content-type": "application/json",
      accept,
      "mcp-protocol-version": "2026-07-28",
      "mcp-method": method,
      ...(name ? { "mcp-name": name } : {}),
    },
    body: JSON.stringify({ jsonrpc: "2.0", id, method, params: { ...params, _meta: modernMeta } }),
    ...(signal ? { signal } : {}),
  });
}

describe("clients that abandon their requests", { timeout: 180_000 }, () => {
  it("closes the upstream side of 1,000 abandoned POST-answered-with-SSE streams, and still answers", async () => {
    const sidecar = await sidecarFor(everything.url);
    const session = await initializeSession(sidecar.proxyUrl);
    await abandonInBatches(
      everything.url,
      (signal, i) =>
        holdStream(`${sidecar.proxyUrl}/mcp`, {
          method: "POST",
          headers: { "content-type": "application/json", accept, "mcp-session-id": session },
          body: JSON.stringify({
            jsonrpc: "2.0",
            id: i + 1,
            method: "tools/call",
            params: {
              name: "trigger-long-running-operation",
              arguments: { duration: 120, steps: 120 },
              _meta: { progressToken: i + 1 },
            },
          }),
          signal,
        }),
      "heads",
    );
    const ping = await request(`${sidecar.proxyUrl}/mcp`, {
      method: "POST",
      headers: { "content-type": "application/json", accept, "mcp-session-id": session },
      body: '{"jsonrpc":"2.0","id":"after","method":"ping"}',
    });
    expect(ping.statusCode).toBe(200);
    const pingText = await ping.body.text();
    expect(pingText).toContain('"id":"after"');
    expect(pingText).toContain('"result":{}');
    const points = await readMetrics(sidecar.metricsUrl);
    expect(sampleValue(points, "mcp_tool_calls_total", { status: "cancelled" })).toBe(perKind);
    expect(sampleValue(points, "mcp_sidecar_errors_total")).toBe(0);
  });

  it("closes the upstream side of 1,000 abandoned GET streams of one session, one after the other", async () => {
    const sidecar = await sidecarFor(everything.url);
    const session = await initializeSession(sidecar.proxyUrl);
    const port = portOf(everything.url);
    const baseline = await upstreamConnections(port);
    for (let i = 0; i < perKind; i++) {
      const controller = new AbortController();
      // The server allows one GET stream per session: a leaked one would make this 409 for good (the
      // server may take a moment to notice the previous stream's close, hence a short retry).
      const getStream = () =>
        holdStream(`${sidecar.proxyUrl}/mcp`, {
          method: "GET",
          headers: { accept: "text/event-stream", "mcp-session-id": session },
          signal: controller.signal,
        });
      await expect.poll(getStream, { timeout: 5_000, interval: 20, message: "the session's GET stream" }).toBe(200);
      controller.abort();
      await expect
        .poll(() => upstreamConnections(port), { ...settle, message: "the GET stream's upstream connection closed" })
        .toBeLessThanOrEqual(baseline);
    }
    const points = await readMetrics(sidecar.metricsUrl);
    expect(sampleValue(points, "mcp_stream_duration_seconds_count", { kind: "get" })).toBe(perKind);
    expect(sampleValue(points, "mcp_streams_active", { kind: "get" })).toBe(0);
  });

  it("closes the upstream side of 1,000 abandoned legacy /sse streams", async () => {
    const sidecar = await sidecarFor(legacy.url, { MCP_UPSTREAM_TRANSPORT: "sse" });
    await abandonInBatches(
      legacy.url,
      (signal) =>
        holdStream(`${sidecar.proxyUrl}/sse`, { method: "GET", headers: { accept: "text/event-stream" }, signal }),
      "heads",
    );
    const points = await readMetrics(sidecar.metricsUrl);
    expect(sampleValue(points, "mcp_stream_duration_seconds_count", { kind: "legacy_sse" })).toBe(perKind);
    expect(sampleValue(points, "mcp_streams_active", { kind: "legacy_sse" })).toBe(0);
    expect(sampleValue(points, "mcp_sessions_active")).toBe(0);
  });

  it("closes the upstream side of 1,000 abandoned subscriptions/listen streams and 1,000 slow calls given up before any head", async () => {
    const sidecar = await sidecarFor(modern.url);
    // The listen stream's head comes with its acknowledgement (the server's first event).
    await abandonInBatches(
      modern.url,
      async (signal, i) => {
        const response = await modernPost(
          sidecar.proxyUrl,
          "subscriptions/listen",
          i,
          { notifications: { toolsListChanged: true } },
          signal,
        );
        response.body.on("error", () => {});
        await new Promise<void>((resolve) => response.body.once("data", () => resolve()));
        response.body.resume();
      },
      "heads",
    );
    await (await modernPost(sidecar.proxyUrl, "tools/list", 0, {})).body.text();
    await abandonInBatches(
      modern.url,
      (signal, i) =>
        modernPost(sidecar.proxyUrl, "tools/call", i, { name: "slow", arguments: { seconds: 120 } }, signal),
      () => modern.slowCallsInFlight() === batch,
    );
    // The server saw every call cancelled, none answered.
    await expect
      .poll(modern.slowCallsInFlight, { ...settle, message: "the server to see the slow calls cancelled" })
      .toBe(0);
    const echo = await modernPost(sidecar.proxyUrl, "tools/call", 1, {
      name: "echo",
      arguments: { message: "still here" },
    });
    expect(echo.statusCode).toBe(200);
    expect(await echo.body.text()).toContain("Echo: still here");
    const points = await readMetrics(sidecar.metricsUrl);
    expect(sampleValue(points, "mcp_requests_total", { method: "subscriptions/listen", status: "ok" })).toBe(perKind);
    expect(sampleValue(points, "mcp_requests_total", { method: "subscriptions/listen", status: "error" })).toBe(0);
    expect(sampleValue(points, "mcp_streams_active", { kind: "listen" })).toBe(0);
    expect(sampleValue(points, "mcp_tool_calls_total", { tool_name: "slow", status: "cancelled" })).toBe(perKind);
    expect(sampleValue(points, "mcp_tool_calls_total", { tool_name: "echo", status: "ok" })).toBe(1);
  });
});
