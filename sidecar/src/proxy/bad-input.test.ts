import { connect } from "node:net";
import { request } from "undici";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { RunningSidecar } from "../sidecar.js";
import { type RunningProcess, startEverythingServer } from "../testing/everything-server.js";
import { readMetrics, sampleValue } from "../testing/prometheus-text.js";
import { startTestSidecar } from "../testing/sidecar-harness.js";

let upstream: RunningProcess;
let sidecar: RunningSidecar;

beforeAll(async () => {
  upstream = await startEverythingServer("streamableHttp");
  sidecar = await startTestSidecar({ MCP_UPSTREAM_URL: upstream.url, MCP_MAX_BODY_BYTES: "65536" });
});

afterAll(async () => {
  await sidecar?.close();
  await upstream?.stop();
});

async function postRaw(base: string, body: string | Buffer, headers: Record<string, string> = {}) {
  const response = await request(`${base}/mcp`, {
    method: "POST",
    headers: { "content-type": "application/json", accept: "application/json, text/event-stream", ...headers },
    body,
  });
  return { status: response.statusCode, body: await response.body.text() };
}

/** What the sidecar counted while `run` ran (a delta, so each test stands alone in any order). */
async function countedDuring(run: () => Promise<unknown>) {
  const before = await readMetrics(sidecar.metricsUrl);
  await run();
  const after = await readMetrics(sidecar.metricsUrl);
  return (name: string, labels: Record<string, string>) =>
    sampleValue(after, name, labels) - sampleValue(before, name, labels);
}

/** The same bad request sent directly and through the sidecar must get the same answer. */
async function sameAsDirect(body: string, headers: Record<string, string> = {}) {
  const direct = await postRaw(upstream.url, body, headers);
  const proxied = await postRaw(sidecar.proxyUrl, body, headers);
  expect(proxied).toEqual(direct);
  return proxied;
}

describe("malformed input", () => {
  it("forwards a body that is not JSON, returns the upstream's own answer, and counts it as method=invalid", async () => {
    let reply: { status: number } | undefined;
    const counted = await countedDuring(async () => {
      reply = await sameAsDirect("{this is not json");
    });
    expect(reply?.status).toBe(400);
    expect(counted("mcp_requests_total", { method: "invalid", status: "error" })).toBe(1);
    expect(counted("mcp_sidecar_errors_total", { reason: "malformed_jsonrpc" })).toBe(1);
  });

  it("forwards JSON of the wrong JSON-RPC shape unchanged and counts it as method=invalid", async () => {
    let reply: { status: number } | undefined;
    const counted = await countedDuring(async () => {
      reply = await sameAsDirect('{"jsonrpc":"1.0","id":1,"method":"ping"}');
    });
    expect(reply?.status).toBeGreaterThanOrEqual(400);
    expect(counted("mcp_requests_total", { method: "invalid", status: "error" })).toBe(1);
    expect(counted("mcp_sidecar_errors_total", { reason: "malformed_jsonrpc" })).toBe(1);
  });

  it("forwards a request without a session the way the upstream refuses it, counted as an error", async () => {
    let reply: { status: number } | undefined;
    const counted = await countedDuring(async () => {
      reply = await sameAsDirect('{"jsonrpc":"2.0","id":5,"method":"tools/list"}');
    });
    expect(reply?.status).toBe(400);
    expect(counted("mcp_requests_total", { method: "tools/list", status: "error" })).toBe(1);
  });

  it("forwards an unknown session id, refused as directly (400 from server-everything), and counts it as an error", async () => {
    let reply: { status: number } | undefined;
    const counted = await countedDuring(async () => {
      reply = await sameAsDirect('{"jsonrpc":"2.0","id":6,"method":"tools/list"}', {
        "mcp-session-id": "no-such-session",
      });
    });
    expect(reply?.status).toBe(400);
    expect(counted("mcp_requests_total", { method: "tools/list", status: "error" })).toBe(1);
    expect(counted("mcp_requests_total", { method: "tools/list", status: "ok" })).toBe(0);
  });

  it("refuses a body over MCP_MAX_BODY_BYTES with 413 and a JSON-RPC error, without forwarding it", async () => {
    const big = JSON.stringify({ jsonrpc: "2.0", id: 1, method: "tools/call", params: { pad: "x".repeat(70_000) } });
    const reply = await postRaw(sidecar.proxyUrl, big);
    expect(reply.status).toBe(413);
    expect(JSON.parse(reply.body)).toEqual({
      jsonrpc: "2.0",
      id: null,
      error: {
        code: -32600,
        message: "mcpscope: Request body is too large",
        data: { code: "MCPSCOPE_BODY_TOO_LARGE" },
      },
    });
    const points = await readMetrics(sidecar.metricsUrl);
    // This file's only oversized body.
    expect(sampleValue(points, "mcp_sidecar_errors_total", { reason: "body_too_large" })).toBe(1);
  });

  it("refuses a request line with invalid header bytes with 400 and keeps serving", async () => {
    const url = new URL(sidecar.proxyUrl);
    const answer = await new Promise<string>((resolve, reject) => {
      const socket = connect(Number(url.port), url.hostname, () => {
        socket.write("POST /mcp HTTP/1.1\r\nHost: x\r\nMcp-Session-Id: bad\u0001value\r\nContent-Length: 2\r\n\r\n{}");
      });
      let data = "";
      socket.on("data", (chunk) => {
        data += chunk.toString();
      });
      socket.on("end", () => resolve(data));
      socket.on("error", reject);
    });
    expect(answer.startsWith("HTTP/1.1 400")).toBe(true);
    const live = await request(`${sidecar.proxyUrl}/livez`);
    expect(await live.body.json()).toEqual({ status: "ok" });
  });

  it("forwards a POST without a content type unchanged", async () => {
    const response = await request(`${sidecar.proxyUrl}/mcp`, {
      method: "POST",
      headers: { accept: "application/json, text/event-stream" },
      body: '{"jsonrpc":"2.0","id":1,"method":"ping"}',
    });
    const direct = await request(`${upstream.url}/mcp`, {
      method: "POST",
      headers: { accept: "application/json, text/event-stream" },
      body: '{"jsonrpc":"2.0","id":1,"method":"ping"}',
    });
    expect({ status: response.statusCode, body: await response.body.text() }).toEqual({
      status: direct.statusCode,
      body: await direct.body.text(),
    });
  });

  it("passes a CORS preflight (OPTIONS) through to the upstream", async () => {
    const response = await request(`${sidecar.proxyUrl}/mcp`, {
      method: "OPTIONS",
      headers: { origin: "http://example.test", "access-control-request-method": "POST" },
    });
    await response.body.text();
    expect(response.statusCode).toBe(204);
    expect(response.headers["access-control-allow-origin"]).toBe("*");
  });
});
