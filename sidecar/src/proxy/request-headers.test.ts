import { connect } from "node:net";
import { request } from "undici";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { RunningSidecar } from "../sidecar.js";
import { type RunningProcess, startEverythingServer } from "../testing/everything-server.js";
import { initializeSession } from "../testing/mcp-http.js";
import { readMetrics, sampleValue } from "../testing/prometheus-text.js";
import { startTestSidecar } from "../testing/sidecar-harness.js";

// Request shapes real clients send that once turned into 502: each must succeed as it does directly.

const accept = "application/json, text/event-stream";
let upstream: RunningProcess;
let sidecar: RunningSidecar;

beforeAll(async () => {
  upstream = await startEverythingServer("streamableHttp");
  sidecar = await startTestSidecar({ MCP_UPSTREAM_URL: upstream.url, MCP_REQUEST_TIMEOUT_MS: "1000" });
});

afterAll(async () => {
  await sidecar?.close();
  await upstream?.stop();
});

/** An echo of `message` in the caller's session, with extra request headers, over a raw socket. */
function rawEcho(base: string, session: string, message: string, extraHeaders: string[]): Promise<string> {
  const url = new URL(base);
  const body = JSON.stringify({
    jsonrpc: "2.0",
    id: 1,
    method: "tools/call",
    params: { name: "echo", arguments: { message } },
  });
  const head = [
    "POST /mcp HTTP/1.1",
    `Host: ${url.host}`,
    "Content-Type: application/json",
    `Accept: ${accept}`,
    `Mcp-Session-Id: ${session}`,
    `Content-Length: ${Buffer.byteLength(body)}`,
    "Connection: close",
    ...extraHeaders,
  ];
  return new Promise((resolve, reject) => {
    const socket = connect(Number(url.port), url.hostname, () => {
      socket.write(`${head.join("\r\n")}\r\n\r\n`);
      if (!extraHeaders.some((h) => h.toLowerCase().startsWith("expect:"))) socket.write(body);
    });
    let data = "";
    let bodySent = false;
    socket.on("data", (chunk) => {
      data += chunk.toString();
      // Expect: 100-continue: the body goes only after the interim answer, as curl does.
      if (!bodySent && data.startsWith("HTTP/1.1 100 Continue")) {
        bodySent = true;
        socket.write(body);
      }
      // Servers may keep the connection alive: the answer is complete at its last chunk.
      if (/\r\n0\r\n\r\n$/.test(data)) socket.end();
    });
    socket.on("end", () => resolve(data));
    socket.on("error", reject);
  });
}

/** The final status line and the JSON-RPC result text of a raw HTTP answer. */
function outcome(answer: string): { status: string; echoed: boolean } {
  const final = answer.replace(/^HTTP\/1\.1 100 Continue\r\n\r\n/, "");
  return { status: final.split("\r\n")[0] ?? "", echoed: final.includes('"text":"Echo: ') };
}

describe("request headers a proxy must handle", () => {
  for (const [name, headers, size] of [
    ["Expect: 100-continue with a 1.5 MB body (as curl sends it)", ["Expect: 100-continue"], 1_500_000],
    ["a bare Keep-Alive: header", ["Keep-Alive:"], 10],
    ["a stray Upgrade: header", ["Upgrade: h2c"], 10],
    ["Keep-Alive with parameters", ["Keep-Alive: timeout=5, max=100"], 10],
  ] as const) {
    it(`answers ${name} as the upstream does directly`, async () => {
      const message = "x".repeat(size);
      const direct = outcome(await rawEcho(upstream.url, await initializeSession(upstream.url), message, [...headers]));
      const proxied = outcome(
        await rawEcho(sidecar.proxyUrl, await initializeSession(sidecar.proxyUrl), message, [...headers]),
      );
      expect(direct).toEqual({ status: "HTTP/1.1 200 OK", echoed: true });
      expect(proxied).toEqual(direct);
    });
  }
});

describe("a client that sends its body too slowly", () => {
  it("is cut with 408 after MCP_REQUEST_TIMEOUT_MS, counted, and the sidecar keeps serving", async () => {
    const before = await readMetrics(sidecar.metricsUrl);
    const url = new URL(sidecar.proxyUrl);
    const answer = await new Promise<string>((resolve, reject) => {
      const socket = connect(Number(url.port), url.hostname, () => {
        socket.write(
          "POST /mcp HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n{",
        );
      });
      // One byte now and then, never the whole body.
      const trickle = setInterval(() => socket.write(" "), 200);
      let data = "";
      socket.on("data", (chunk) => {
        data += chunk.toString();
      });
      socket.on("close", () => {
        clearInterval(trickle);
        resolve(data);
      });
      socket.on("error", (error) => {
        clearInterval(trickle);
        if (data) resolve(data);
        else reject(error);
      });
    });
    expect(answer.startsWith("HTTP/1.1 408")).toBe(true);
    expect(answer).toContain('"code":"MCPSCOPE_REQUEST_TIMEOUT"');
    const after = await readMetrics(sidecar.metricsUrl);
    const delta = (labels: Record<string, string>) =>
      sampleValue(after, "mcp_sidecar_errors_total", labels) - sampleValue(before, "mcp_sidecar_errors_total", labels);
    expect(delta({ reason: "request_timeout" })).toBe(1);
    const live = await request(`${sidecar.proxyUrl}/livez`);
    expect(await live.body.json()).toEqual({ status: "ok" });
  });

  it("counts an oversized header block (431) as bad_request", async () => {
    const before = await readMetrics(sidecar.metricsUrl);
    const url = new URL(sidecar.proxyUrl);
    const answer = await new Promise<string>((resolve, reject) => {
      const socket = connect(Number(url.port), url.hostname, () => {
        socket.write(`GET /mcp HTTP/1.1\r\nHost: x\r\nX-Big: ${"a".repeat(20_000)}\r\n\r\n`);
      });
      let data = "";
      socket.on("data", (chunk) => {
        data += chunk.toString();
      });
      socket.on("close", () => resolve(data));
      socket.on("error", () => resolve(data));
      setTimeout(() => reject(new Error("no answer")), 5_000).unref();
    });
    expect(answer.startsWith("HTTP/1.1 431")).toBe(true);
    const after = await readMetrics(sidecar.metricsUrl);
    expect(
      sampleValue(after, "mcp_sidecar_errors_total", { reason: "bad_request" }) -
        sampleValue(before, "mcp_sidecar_errors_total", { reason: "bad_request" }),
    ).toBe(1);
  });
});
