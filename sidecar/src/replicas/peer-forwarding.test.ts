import { connect } from "node:net";
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
/** The sidecar port of every replica (one pod template). */
let port: string;

beforeAll(async () => {
  upstreams = [await startFakeScriptedUpstream(), await startFakeScriptedUpstream()];
  port = String(await freePort());
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

  it("resumes a stream (GET with Last-Event-ID) on the replica holding the session", async () => {
    const b = sidecars[1] as RunningSidecar;
    const [upstreamA, upstreamB] = upstreams as [FakeScriptedUpstream, FakeScriptedUpstream];
    const before = { a: upstreamA.receivedLastEventIds.length, b: upstreamB.receivedLastEventIds.length };
    const response = await request(`${b.proxyUrl}/json`, {
      method: "GET",
      headers: { accept: "text/event-stream", "mcp-session-id": "mcps.7f000002.s-1", "last-event-id": "e1" },
    });
    await response.body.arrayBuffer();
    expect(response.statusCode).toBe(200);
    expect(upstreamA.receivedLastEventIds.slice(before.a)).toEqual(["e1"]);
    expect(upstreamA.receivedSessionIds.at(-1)).toBe("s-1");
    expect(upstreamB.receivedLastEventIds.slice(before.b)).not.toContain("e1");
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
    expect(sampleValue(await readMetrics(b.metricsUrl), "mcp_replica_forwards_total")).toBe(2);
  });
});

/**
 * Sends each request's headers and the start of its body, closes the sidecar (it begins to drain),
 * then sends the rest: the requests are answered during the drain. Returns the raw answers.
 */
async function answersDuringDrain(
  sidecar: RunningSidecar,
  requests: { body: string; session: string }[],
): Promise<string[]> {
  const { hostname, port } = new URL(sidecar.proxyUrl);
  const sockets = requests.map(({ body, session }) => {
    const socket = connect(Number(port), hostname);
    const answer = new Promise<string>((resolve) => {
      let text = "";
      socket.on("data", (chunk) => {
        text += chunk.toString();
      });
      socket.on("close", () => resolve(text));
    });
    const sessionHeader = session === "" ? "" : `mcp-session-id: ${session}\r\n`;
    socket.write(
      `POST /json HTTP/1.1\r\nhost: x\r\ncontent-type: application/json\r\n${sessionHeader}content-length: ${body.length}\r\n\r\n${body.slice(0, 5)}`,
    );
    return { socket, answer, rest: body.slice(5) };
  });
  await new Promise((resolve) => setTimeout(resolve, 100));
  const closed = sidecar.close();
  await new Promise((resolve) => setImmediate(resolve));
  // write, not end: a client's FIN makes Node abort a request still being answered. The sidecar
  // closes each connection after its answer (Connection: close while draining).
  for (const { socket, rest } of sockets) socket.write(rest);
  const answers = await Promise.all(sockets.map((s) => s.answer));
  await closed;
  return answers;
}

describe("a replica that is draining (its pod is going away)", () => {
  it("answers a request for one of its sessions 404 at once, and one without a session 503", async () => {
    const upstream = await startFakeScriptedUpstream();
    const sidecar = await startTestSidecar({
      MCP_UPSTREAM_URL: upstream.url,
      MCP_POD_IP: "127.0.0.1",
      MCP_REPLICA_PEERS: "127.0.0.1",
    });
    // Two requests whose bodies are still on their way when the drain begins.
    const withSession = '{"jsonrpc":"2.0","id":4,"method":"tools/list"}';
    const withoutSession = '{"jsonrpc":"2.0","id":5,"method":"initialize","params":{}}';
    const [sessionAnswer, plainAnswer] = await answersDuringDrain(sidecar, [
      { body: withSession, session: "mcps.7f000001.s-1" },
      { body: withoutSession, session: "" },
    ]);
    await upstream.close();
    expect(sessionAnswer).toMatch(/^HTTP\/1\.1 404 /);
    expect(sessionAnswer).toContain('"id":4');
    expect(sessionAnswer).toContain("MCPSCOPE_REPLICA_GONE");
    expect(plainAnswer).toMatch(/^HTTP\/1\.1 503 /);
    // Neither reached the upstream (what it did receive are the sidecar's own health probes).
    expect(upstream.received.map(String)).not.toContain(withSession);
    expect(upstream.received.map(String)).not.toContain(withoutSession);
  });

  it("still forwards a request for another replica's session: that session lives on", async () => {
    const upstream = await startFakeScriptedUpstream();
    // A third replica of the two above, on their port.
    const sidecar = await startTestSidecar({
      MCP_UPSTREAM_URL: upstream.url,
      HOST: "127.0.0.5",
      PORT: port,
      METRICS_HOST: "127.0.0.5",
      MCP_POD_IP: "127.0.0.5",
      MCP_REPLICA_PEERS: [...ips, "127.0.0.5"].join(","),
    });
    const upstreamA = upstreams[0] as FakeScriptedUpstream;
    const receivedBefore = upstreamA.received.length;
    const body = '{"jsonrpc":"2.0","id":6,"method":"tools/list"}';
    const [answer] = await answersDuringDrain(sidecar, [{ body, session: "mcps.7f000002.s-1" }]);
    await upstream.close();
    expect(answer).toMatch(/^HTTP\/1\.1 200 /);
    // Relayed as a stream (chunked): the upstream's bytes are in its one chunk.
    expect(answer).toContain(scriptedJson.toString());
    expect(upstreamA.received.slice(receivedBefore).map(String)).toEqual([body]);
    expect(upstream.received.map(String)).not.toContain(body);
  });
});
