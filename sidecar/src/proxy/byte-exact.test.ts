import { request } from "undici";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { RunningSidecar } from "../sidecar.js";
import {
  type FakeScriptedUpstream,
  scriptedJson,
  scriptedSseEvents,
  startFakeScriptedUpstream,
} from "../testing/fake-scripted-upstream.js";
import { readMetrics, sampleValue } from "../testing/prometheus-text.js";
import { startTestSidecar } from "../testing/sidecar-harness.js";

let upstream: FakeScriptedUpstream;
let sidecar: RunningSidecar;

beforeAll(async () => {
  upstream = await startFakeScriptedUpstream();
  sidecar = await startTestSidecar({ MCP_UPSTREAM_URL: upstream.url });
});

afterAll(async () => {
  await sidecar?.close();
  await upstream?.close();
});

async function exchange(base: string, path: string, body?: Buffer | string) {
  const response = await request(`${base}${path}`, {
    method: body === undefined ? "GET" : "POST",
    headers: { "content-type": "application/json", accept: "application/json, text/event-stream" },
    body,
  });
  return {
    status: response.statusCode,
    headers: response.headers,
    body: Buffer.from(await response.body.arrayBuffer()),
  };
}

describe("byte-exact forwarding", () => {
  it("returns a JSON body byte for byte, with status and headers", async () => {
    const direct = await exchange(upstream.url, "/json", '{"jsonrpc":"2.0","id":1,"method":"ping"}');
    const proxied = await exchange(sidecar.proxyUrl, "/json", '{"jsonrpc":"2.0","id":1,"method":"ping"}');
    expect(proxied.body.equals(scriptedJson)).toBe(true);
    expect(proxied.body.equals(direct.body)).toBe(true);
    expect(proxied.status).toBe(200);
    for (const name of ["content-type", "x-scripted", "mcp-session-id", "content-length"]) {
      expect(proxied.headers[name]).toBe(direct.headers[name]);
    }
  });

  it("forwards the request body unchanged, whitespace and escapes included", async () => {
    const body = Buffer.from(
      '{"jsonrpc":"2.0" , "id":"x","method":"tools/call","params":{"name":"\\u0065cho"}}  \n',
      "utf8",
    );
    upstream.received.length = 0;
    await exchange(sidecar.proxyUrl, "/json", body);
    expect(upstream.received).toHaveLength(1);
    expect(upstream.received[0]?.equals(body)).toBe(true);
  });

  it("forwards a body that is not JSON at all unchanged", async () => {
    const body = Buffer.from([0xff, 0xfe, 0x00, 0x7b]);
    upstream.received.length = 0;
    await exchange(sidecar.proxyUrl, "/json", body);
    expect(upstream.received[0]?.equals(body)).toBe(true);
  });

  it("returns a 1 MiB body byte for byte", async () => {
    const proxied = await exchange(sidecar.proxyUrl, "/big", "{}");
    expect(proxied.body.length).toBe(1024 * 1024 + 7);
    expect(proxied.body.equals(Buffer.alloc(1024 * 1024 + 7, "a"))).toBe(true);
  });

  it("passes an unusual status code and its body through", async () => {
    const proxied = await exchange(sidecar.proxyUrl, "/status", "{}");
    expect(proxied.status).toBe(418);
    expect(proxied.body.toString()).toBe("short and stout");
  });

  it("streams SSE events as they are written, not at the end, and byte for byte", async () => {
    const response = await request(`${sidecar.proxyUrl}/sse-held`, {
      method: "POST",
      headers: { "content-type": "application/json", accept: "text/event-stream" },
      body: '{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"t"}}',
    });
    expect(response.headers["content-type"]).toBe("text/event-stream");
    const chunks: Buffer[] = [];
    const first = Buffer.from(scriptedSseEvents[0] ?? "", "utf8");
    const iterator = response.body[Symbol.asyncIterator]();
    // The upstream holds the second event until release(): the first must already be here.
    while (Buffer.concat(chunks).length < first.length) {
      const next = await iterator.next();
      if (next.done) break;
      chunks.push(Buffer.from(next.value));
    }
    expect(Buffer.concat(chunks).equals(first)).toBe(true);
    upstream.release();
    for (let next = await iterator.next(); !next.done; next = await iterator.next())
      chunks.push(Buffer.from(next.value));
    expect(Buffer.concat(chunks).equals(Buffer.from(scriptedSseEvents.join(""), "utf8"))).toBe(true);
  });

  it("sends an SSE stream's headers before its first event, as the upstream did", async () => {
    const response = await request(`${sidecar.proxyUrl}/sse-quiet`, {
      method: "GET",
      headers: { accept: "text/event-stream" },
    });
    // The upstream is still holding its first event: only the headers can have arrived.
    expect(response.statusCode).toBe(200);
    expect(response.headers["content-type"]).toBe("text/event-stream");
    upstream.release();
    expect(await response.body.text()).toBe("event: message\ndata: {}\n\n");
  });

  it("records the SSE response split across chunks and a UTF-8 character as one ok tools/call", async () => {
    const points = await readMetrics(sidecar.metricsUrl);
    expect(sampleValue(points, "mcp_requests_total", { method: "tools/call", status: "ok" })).toBe(1);
  });
});
