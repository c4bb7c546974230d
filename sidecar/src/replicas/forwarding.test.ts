import { request } from "undici";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { RunningSidecar } from "../sidecar.js";
import {
  type FakeScriptedUpstream,
  scriptedJson,
  startFakeScriptedUpstream,
} from "../testing/fake-scripted-upstream.js";
import { freePort } from "../testing/free-port.js";
import { readMetrics, sampleValue } from "../testing/prometheus-text.js";
import { startTestSidecar } from "../testing/sidecar-harness.js";

// Two replicas on loopback addresses of their own (the pod IPs), one sidecar port, each in front of
// the scripted upstream (which records the exact bytes it receives and mints session "s-1").
const ips = ["127.0.0.2", "127.0.0.3"] as const;
let upstreams: FakeScriptedUpstream[];
let sidecars: RunningSidecar[];

beforeAll(async () => {
  upstreams = [await startFakeScriptedUpstream(), await startFakeScriptedUpstream()];
  const port = String(await freePort());
  sidecars = [];
  for (const [index, ip] of ips.entries()) {
    sidecars.push(
      await startTestSidecar({
        MCP_UPSTREAM_URL: upstreams[index]?.url as string,
        HOST: ip,
        PORT: port,
        METRICS_HOST: ip,
        MCP_POD_IP: ip,
        MCP_REPLICA_PEERS: ips.join(","),
      }),
    );
  }
});

afterAll(async () => {
  await Promise.all(sidecars.map((s) => s.close()));
  await Promise.all(upstreams.map((u) => u.close()));
});

async function post(base: string, body: Buffer, sessionId?: string) {
  const response = await request(`${base}/json`, {
    method: "POST",
    headers: {
      "content-type": "application/json",
      accept: "application/json, text/event-stream",
      ...(sessionId ? { "mcp-session-id": sessionId } : {}),
    },
    body,
  });
  return {
    status: response.statusCode,
    sessionId: response.headers["mcp-session-id"],
    body: Buffer.from(await response.body.arrayBuffer()),
  };
}

describe("a request for another replica's session", () => {
  it("goes to that replica's upstream with the upstream's own session id, both ways byte-exact, counted once", async () => {
    const [a, b] = sidecars as [RunningSidecar, RunningSidecar];
    const [upstreamA, upstreamB] = upstreams as [FakeScriptedUpstream, FakeScriptedUpstream];
    const minted = await post(a.proxyUrl, Buffer.from('{"jsonrpc":"2.0","id":1,"method":"initialize","params":{}}'));
    expect(minted.sessionId).toBe("mcps.7f000002.s-1");

    upstreamA.received.length = 0;
    upstreamA.receivedSessionIds.length = 0;
    upstreamB.received.length = 0;
    // Odd spacing, escapes and split-able UTF-8: any re-serialisation would change these bytes.
    const body = Buffer.from(
      '{ "jsonrpc" :"2.0","id" : 2,"method":"tools/call","params":{"name":"é\\u00e9 ☃"}}\n',
      "utf8",
    );
    const forwarded = await post(b.proxyUrl, body, minted.sessionId as string);
    expect(forwarded.status).toBe(200);
    expect(forwarded.body.equals(scriptedJson)).toBe(true);
    // The answering replica's id, as its sidecar handed it out: not wrapped a second time.
    expect(forwarded.sessionId).toBe("mcps.7f000002.s-1");
    expect(upstreamA.received).toHaveLength(1);
    expect(upstreamA.received[0]?.equals(body)).toBe(true);
    expect(upstreamA.receivedSessionIds).toEqual(["s-1"]);
    expect(upstreamB.received).toHaveLength(0);

    const [metricsA, metricsB] = await Promise.all([readMetrics(a.metricsUrl), readMetrics(b.metricsUrl)]);
    expect(sampleValue(metricsA, "mcp_requests_total", { method: "tools/call" })).toBe(1);
    expect(sampleValue(metricsB, "mcp_requests_total", { method: "tools/call" })).toBe(0);
    expect(sampleValue(metricsB, "mcp_replica_forwards_total")).toBe(1);
    expect(sampleValue(metricsA, "mcp_replica_forwards_total")).toBe(0);
  });

  it("is answered by the replica itself when the id names it, and never forwarded twice", async () => {
    const [a, b] = sidecars as [RunningSidecar, RunningSidecar];
    // A request that claims to come from a peer but names the other replica: not forwarded again.
    const response = await request(`${a.proxyUrl}/json`, {
      method: "POST",
      headers: {
        "content-type": "application/json",
        "mcp-session-id": "mcps.7f000003.s-1",
        "x-mcpscope-replica-hop": "127.0.0.3",
      },
      body: '{"jsonrpc":"2.0","id":9,"method":"ping"}',
    });
    expect(response.statusCode).toBe(404);
    expect(await response.body.json()).toMatchObject({ id: 9, error: { data: { code: "MCPSCOPE_REPLICA_GONE" } } });
    const points = await readMetrics(a.metricsUrl);
    expect(sampleValue(points, "mcp_sidecar_errors_total", { reason: "replica_gone" })).toBe(1);
    expect(
      sampleValue(points, "mcp_requests_total", { method: "ping", status: "error", error_type: "replica_gone" }),
    ).toBe(1);
    expect(sampleValue(await readMetrics(b.metricsUrl), "mcp_replica_forwards_total")).toBe(1);
  });
});
