import { request } from "undici";
import { afterEach, describe, expect, it } from "vitest";
import type { RunningSidecar } from "../sidecar.js";
import { type RunningProcess, startEverythingServer } from "../testing/everything-server.js";
import { freePort } from "../testing/free-port.js";
import { initializeSession } from "../testing/mcp-http.js";
import { readMetrics, sampleValue } from "../testing/prometheus-text.js";
import { startTestSidecar } from "../testing/sidecar-harness.js";

const accept = "application/json, text/event-stream";
let sidecar: RunningSidecar | undefined;
let upstream: RunningProcess | undefined;

afterEach(async () => {
  if (upstream) upstream.child.kill("SIGCONT");
  await sidecar?.close();
  await upstream?.stop();
  sidecar = undefined;
  upstream = undefined;
});

async function post(url: string, body: string) {
  const response = await request(url, {
    method: "POST",
    headers: { "content-type": "application/json", accept },
    body,
  });
  return { status: response.statusCode, body: (await response.body.json()) as unknown };
}

describe("when the upstream is down", () => {
  it("answers 502 with a JSON-RPC error carrying the request's id, and counts it", async () => {
    const closedPort = await freePort();
    sidecar = await startTestSidecar({ MCP_UPSTREAM_URL: `http://127.0.0.1:${closedPort}` });
    const reply = await post(
      `${sidecar.proxyUrl}/mcp`,
      '{"jsonrpc":"2.0","id":42,"method":"tools/call","params":{"name":"echo"}}',
    );
    expect(reply).toEqual({
      status: 502,
      body: {
        jsonrpc: "2.0",
        id: 42,
        error: {
          code: -32000,
          message: `mcpscope: upstream http://127.0.0.1:${closedPort} is unreachable (ECONNREFUSED)`,
          data: { cause: "ECONNREFUSED", code: "MCPSCOPE_UPSTREAM_UNREACHABLE" },
        },
      },
    });
    const points = await readMetrics(sidecar.metricsUrl);
    expect(sampleValue(points, "mcp_sidecar_errors_total", { reason: "upstream_unreachable" })).toBe(1);
    expect(sampleValue(points, "mcp_tool_calls_total", { tool_name: "other", status: "error" })).toBe(1);
    expect(sampleValue(points, "mcp_server_operation_duration_count", { error_type: "upstream_unreachable" })).toBe(1);
  });

  it("answers a batch with one error per request id", async () => {
    const closedPort = await freePort();
    sidecar = await startTestSidecar({ MCP_UPSTREAM_URL: `http://127.0.0.1:${closedPort}` });
    const reply = await post(
      `${sidecar.proxyUrl}/mcp`,
      '[{"jsonrpc":"2.0","id":1,"method":"ping"},{"jsonrpc":"2.0","method":"notifications/initialized"},{"jsonrpc":"2.0","id":"b","method":"tools/list"}]',
    );
    expect(reply.status).toBe(502);
    expect((reply.body as Array<{ id: unknown }>).map((r) => r.id)).toEqual([1, "b"]);
  });

  it("keeps serving after the upstream comes back", async () => {
    const port = await freePort();
    sidecar = await startTestSidecar({ MCP_UPSTREAM_URL: `http://127.0.0.1:${port}` });
    expect((await post(`${sidecar.proxyUrl}/mcp`, '{"jsonrpc":"2.0","id":1,"method":"ping"}')).status).toBe(502);
    upstream = await startEverythingServer("streamableHttp", port);
    const session = await initializeSession(sidecar.proxyUrl, "2025-06-18");
    expect(session).toMatch(/^[0-9a-f-]{36}$/);
  });
});

describe("when the upstream is slow", () => {
  it("answers 504 with a JSON-RPC time-out error once MCP_UPSTREAM_TIMEOUT_MS has passed", async () => {
    upstream = await startEverythingServer("streamableHttp");
    sidecar = await startTestSidecar({ MCP_UPSTREAM_URL: upstream.url, MCP_UPSTREAM_TIMEOUT_MS: "300" });
    const session = await initializeSession(sidecar.proxyUrl, "2025-06-18");
    upstream.child.kill("SIGSTOP"); // the real server, frozen: connections are accepted but never answered
    const response = await request(`${sidecar.proxyUrl}/mcp`, {
      method: "POST",
      headers: { "content-type": "application/json", accept, "mcp-session-id": session },
      body: '{"jsonrpc":"2.0","id":"slow-1","method":"ping"}',
    });
    const body = await response.body.json();
    upstream.child.kill("SIGCONT");
    expect(response.statusCode).toBe(504);
    expect(body).toEqual({
      jsonrpc: "2.0",
      id: "slow-1",
      error: {
        code: -32001,
        message: `mcpscope: upstream ${upstream.url} did not answer in time (MCPSCOPE_UPSTREAM_TIMEOUT)`,
        data: { cause: "MCPSCOPE_UPSTREAM_TIMEOUT", code: "MCPSCOPE_UPSTREAM_TIMEOUT" },
      },
    });
    const points = await readMetrics(sidecar.metricsUrl);
    expect(sampleValue(points, "mcp_sidecar_errors_total", { reason: "upstream_timeout" })).toBe(1);
    expect(sampleValue(points, "mcp_requests_total", { method: "ping", status: "error" })).toBe(1);
  });

  it("does not cut an idle SSE stream at the upstream time-out", async () => {
    upstream = await startEverythingServer("streamableHttp");
    sidecar = await startTestSidecar({ MCP_UPSTREAM_URL: upstream.url, MCP_UPSTREAM_TIMEOUT_MS: "1000" });
    const session = await initializeSession(sidecar.proxyUrl, "2025-06-18");
    const headers = { "content-type": "application/json", accept, "mcp-session-id": session };
    const controller = new AbortController();
    const stream = await request(`${sidecar.proxyUrl}/mcp`, {
      method: "GET",
      headers: { accept: "text/event-stream", "mcp-session-id": session },
      signal: controller.signal,
    });
    expect(stream.statusCode).toBe(200);
    let received = "";
    let ended = false;
    stream.body.setEncoding("utf8");
    stream.body.on("data", (chunk: string) => {
      received += chunk;
    });
    stream.body.on("end", () => {
      ended = true;
    });
    stream.body.on("error", () => {
      ended = true;
    });
    // The time-out has run out while the stream was open and idle: a request sent after it opened,
    // to the frozen server, has been answered 504.
    upstream.child.kill("SIGSTOP");
    const late = await request(`${sidecar.proxyUrl}/mcp`, {
      method: "POST",
      headers,
      body: '{"jsonrpc":"2.0","id":"late","method":"ping"}',
    });
    await late.body.text();
    upstream.child.kill("SIGCONT");
    expect(late.statusCode).toBe(504);
    // The stream still carries what the server sends on it: simulated logging starts with a message
    // on the session's standalone stream.
    const toggle = await request(`${sidecar.proxyUrl}/mcp`, {
      method: "POST",
      headers,
      body: '{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"toggle-simulated-logging","arguments":{}}}',
    });
    await toggle.body.text();
    await expect.poll(() => received, { timeout: 10_000 }).toContain('"method":"notifications/message"');
    expect(ended).toBe(false);
    controller.abort();
  });
});

describe("when the upstream dies mid-stream", () => {
  it("ends the client's stream, records the request as upstream_broken (not a silent no_response) and keeps running", async () => {
    upstream = await startEverythingServer("streamableHttp");
    sidecar = await startTestSidecar({ MCP_UPSTREAM_URL: upstream.url });
    const session = await initializeSession(sidecar.proxyUrl, "2025-06-18");
    const response = await request(`${sidecar.proxyUrl}/mcp`, {
      method: "POST",
      headers: { "content-type": "application/json", accept, "mcp-session-id": session },
      body: '{"jsonrpc":"2.0","id":7,"method":"tools/call","params":{"name":"trigger-long-running-operation","arguments":{"duration":30,"steps":30}}}',
    });
    expect(response.statusCode).toBe(200);
    upstream.child.kill("SIGKILL");
    await response.body.text().catch(() => "");
    const live = await request(`${sidecar.proxyUrl}/livez`);
    expect(live.statusCode).toBe(200);
    await live.body.text();
    await expect
      .poll(async () =>
        sampleValue(await readMetrics(sidecar?.metricsUrl ?? ""), "mcp_sidecar_errors_total", {
          reason: "upstream_broken",
        }),
      )
      .toBe(1);
    const points = await readMetrics(sidecar.metricsUrl);
    expect(sampleValue(points, "mcp_requests_total", { method: "tools/call", error_type: "upstream_broken" })).toBe(1);
    expect(sampleValue(points, "mcp_sidecar_errors_total", { reason: "no_response" })).toBe(0);
  });
});
