import { fileURLToPath } from "node:url";
import { unwrapSessionId } from "@mcpscope/sidecar";
import {
  everythingStdioCommand,
  freePort,
  type MetricPoint,
  type RunningModernServer,
  type RunningProcess,
  readMetrics,
  sampleValue,
  startEverythingServer,
  startModernServer,
} from "@mcpscope/sidecar/testing";
import { Client as Client2, StreamableHTTPClientTransport as Transport2 } from "@modelcontextprotocol/client";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { SSEClientTransport } from "@modelcontextprotocol/sdk/client/sse.js";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import { Agent, fetch as undiciFetch } from "undici";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { runProgram } from "./harness/programs.js";
import { type SidecarProcess, startSidecarProcess } from "./harness/sidecar-process.js";
import { startTestBalancer, type TestBalancer } from "./harness/test-balancer.js";

const pythonPeer = fileURLToPath(new URL("../python/mcp_peer.py", import.meta.url));

// Three "pods" on loopback, each a sidecar on a loopback address of its own (127.0.0.2-4, the pod IPs,
// one sidecar port for all as in one pod template) in front of its own server, behind a test
// balancer standing in for the Service's kube-proxy (no affinity). The peer set is the list of pod
// IPs; the DNS form of MCP_REPLICA_PEERS is tested in sidecar/src/replicas/peers.test.ts and on the
// node provider.
const podIps = ["127.0.0.2", "127.0.0.3", "127.0.0.4"];

/** Every request on a new connection: a gateway balancing per request, the hardest case for sessions. */
const perRequest = new Agent({ pipelining: 0 });
const fetchPerRequest = ((url: string | URL, init?: RequestInit) =>
  undiciFetch(url, { ...(init as object), dispatcher: perRequest })) as unknown as typeof fetch;

interface Pod {
  ip: string;
  sidecar: SidecarProcess;
  server?: RunningProcess | undefined;
  /** A killed pod: its processes end at once, its address refuses connections. */
  kill(): Promise<void>;
}

interface Replicas {
  pods: Pod[];
  balancer: TestBalancer;
  stop(): Promise<void>;
}

async function startReplicas(
  kind: "streamableHttp" | "sse" | "stdio" | { url: (ip: string) => string },
): Promise<Replicas> {
  const port = await freePort();
  const metricsPort = await freePort();
  const pods: Pod[] = [];
  for (const ip of podIps) {
    const server = typeof kind === "string" && kind !== "stdio" ? await startEverythingServer(kind) : undefined;
    const upstream: Record<string, string> =
      kind === "stdio"
        ? { MCP_UPSTREAM_COMMAND: everythingStdioCommand() }
        : typeof kind === "object"
          ? { MCP_UPSTREAM_URL: kind.url(ip) }
          : {
              MCP_UPSTREAM_URL: server?.url as string,
              MCP_UPSTREAM_TRANSPORT: kind === "sse" ? "sse" : "streamable-http",
            };
    const sidecar = await startSidecarProcess(
      {
        MCP_UPSTREAM_NAME: "everything",
        ...upstream,
        MCP_POD_IP: ip,
        MCP_REPLICA_PEERS: podIps.join(","),
        MCP_SHUTDOWN_GRACE_MS: "500",
        LOG_LEVEL: "warn",
      },
      { port, metricsPort, host: ip },
    );
    pods.push({
      ip,
      sidecar,
      server,
      async kill() {
        sidecar.child.kill("SIGKILL");
        await sidecar.stop();
        await server?.stop();
      },
    });
  }
  const balancer = await startTestBalancer(pods.map((p) => ({ host: p.ip, port })));
  return {
    pods,
    balancer,
    async stop() {
      await balancer.close();
      await Promise.all(pods.map(async (p) => Promise.all([p.sidecar.stop(), p.server?.stop()])));
    },
  };
}

async function metricsOf(pods: Pod[]): Promise<MetricPoint[][]> {
  return Promise.all(pods.map((p) => readMetrics(p.sidecar.metricsUrl)));
}

/** One metric summed over the pods. */
function total(perPod: MetricPoint[][], name: string, labels: Record<string, string> = {}): number {
  return perPod.reduce((sum, points) => sum + sampleValue(points, name, labels), 0);
}

interface SessionResult {
  pod: string | undefined;
  tools: string[];
  echoes: unknown[];
}

/** initialize → tools/list → 5 × tools/call with the official SDK 1.x client. */
async function sdk1Session(base: string): Promise<SessionResult> {
  const client = new Client({ name: "mcpscope-replicas", version: "1.0.0" });
  const transport = new StreamableHTTPClientTransport(new URL(`${base}/mcp`), { fetch: fetchPerRequest });
  await client.connect(transport);
  const result = await converse(client);
  const pod = transport.sessionId ? unwrapSessionId(transport.sessionId)?.replicaIp : undefined;
  await client.close();
  return { pod, ...result };
}

async function sdk2Session(base: string): Promise<SessionResult> {
  const client = new Client2({ name: "mcpscope-replicas", version: "2.0.0" });
  const transport = new Transport2(new URL(`${base}/mcp`), { fetch: fetchPerRequest });
  await client.connect(transport);
  const tools = (await client.listTools()).tools.map((t) => t.name).sort();
  const echoes: unknown[] = [];
  for (let i = 0; i < 5; i++) echoes.push(await client.callTool({ name: "echo", arguments: { message: `m${i}` } }));
  const pod = transport.sessionId ? unwrapSessionId(transport.sessionId)?.replicaIp : undefined;
  await client.close();
  return { pod, tools, echoes };
}

async function converse(client: Client): Promise<Omit<SessionResult, "pod">> {
  const tools = (await client.listTools()).tools.map((t) => t.name).sort();
  const echoes: unknown[] = [];
  for (let i = 0; i < 5; i++) echoes.push(await client.callTool({ name: "echo", arguments: { message: `m${i}` } }));
  return { tools, echoes };
}

const expectedEchoes = [0, 1, 2, 3, 4].map((i) => ({ content: [{ type: "text", text: `Echo: m${i}` }] }));

describe("three Streamable HTTP replicas behind a balancer without affinity", { timeout: 180_000 }, () => {
  let replicas: Replicas;
  let directTools: string[];

  beforeAll(async () => {
    replicas = await startReplicas("streamableHttp");
    const direct = new Client({ name: "direct", version: "1.0.0" });
    await direct.connect(new StreamableHTTPClientTransport(new URL(`${replicas.pods[0]?.server?.url}/mcp`)));
    directTools = (await direct.listTools()).tools.map((t) => t.name).sort();
    await direct.close();
  }, 120_000);
  afterAll(async () => replicas?.stop());

  it("completes every session of 20 SDK 1.x and 20 SDK 2.x clients, spread over all pods, counted once", async () => {
    const before = await metricsOf(replicas.pods);
    const sessions = await Promise.all([
      ...Array.from({ length: 20 }, () => sdk1Session(replicas.balancer.url)),
      ...Array.from({ length: 20 }, () => sdk2Session(replicas.balancer.url)),
    ]);
    for (const session of sessions) {
      expect(session.tools).toEqual(directTools);
      expect(session.echoes).toEqual(expectedEchoes);
    }
    expect(new Set(sessions.map((s) => s.pod))).toEqual(new Set(podIps));

    const after = await metricsOf(replicas.pods);
    const delta = (name: string, labels: Record<string, string> = {}) =>
      total(after, name, labels) - total(before, name, labels);
    expect(delta("mcp_requests_total", { method: "initialize", status: "ok" })).toBe(40);
    expect(delta("mcp_requests_total", { method: "tools/list", status: "ok" })).toBe(40);
    expect(delta("mcp_requests_total", { method: "tools/call", status: "ok" })).toBe(200);
    expect(delta("mcp_tool_calls_total", { tool_name: "echo", status: "ok" })).toBe(200);
    expect(delta("mcp_requests_total", { status: "error" })).toBe(0);
    // Most requests of a session land on another pod than its own and were forwarded there once.
    expect(delta("mcp_replica_forwards_total")).toBeGreaterThan(100);
    for (const points of after)
      expect(sampleValue(points, "mcp_requests_total", { method: "tools/call" })).toBeGreaterThan(0);
  });

  it("completes every session of the Python SDK client (its own HTTP connections), counted once", async () => {
    const before = await metricsOf(replicas.pods);
    const pythonSession = async () => {
      const result = await runProgram(inject("tools").PYTHON_MCP, [
        pythonPeer,
        "echoes",
        `${replicas.balancer.url}/mcp`,
        "legacy",
        "5",
      ]);
      if (result.code !== 0) throw new Error(`python client failed (${result.code}):\n${result.stderr}`);
      return JSON.parse(result.stdout) as { protocolVersion: string; tools: string[]; echoes: unknown[] };
    };
    // Two interpreters at a time: each takes a second of CPU to start.
    const sessions: Awaited<ReturnType<typeof pythonSession>>[] = [];
    for (let batch = 0; batch < 5; batch++) sessions.push(...(await Promise.all([pythonSession(), pythonSession()])));
    for (const session of sessions) {
      expect(session.protocolVersion).toBe("2025-11-25");
      expect(session.tools).toEqual(directTools);
      // The Python SDK's result model adds its own fields (is_error, result_type) to what it received.
      expect(session.echoes).toMatchObject(expectedEchoes);
    }
    const after = await metricsOf(replicas.pods);
    const delta = (name: string, labels: Record<string, string> = {}) =>
      total(after, name, labels) - total(before, name, labels);
    expect(delta("mcp_requests_total", { method: "initialize", status: "ok" })).toBe(10);
    expect(delta("mcp_requests_total", { method: "tools/call", status: "ok" })).toBe(50);
    expect(delta("mcp_requests_total", { status: "error" })).toBe(0);
  });

  it("forwards POSTs, a GET stream and DELETE to the session's pod", async () => {
    const init = await undiciFetch(`${replicas.balancer.url}/mcp`, {
      method: "POST",
      dispatcher: perRequest,
      headers: { "content-type": "application/json", accept: "application/json, text/event-stream" },
      body: JSON.stringify({
        jsonrpc: "2.0",
        id: 1,
        method: "initialize",
        params: { protocolVersion: "2025-11-25", capabilities: {}, clientInfo: { name: "raw", version: "1" } },
      }),
    });
    await init.text();
    const session = init.headers.get("mcp-session-id") as string;
    expect(unwrapSessionId(session)?.replicaIp).toMatch(/^127\.0\.0\.[234]$/);
    const headers = {
      "content-type": "application/json",
      accept: "application/json, text/event-stream",
      "mcp-session-id": session,
      "mcp-protocol-version": "2025-11-25",
    };
    // Odd spacing and key order: a re-serialised body would differ from what the server echoes.
    const body =
      '{ "id" :7,"jsonrpc":"2.0" , "method":"tools/call","params":{"name":"echo","arguments":{"message":"ｍ  x"}}}';
    const answers: string[] = [];
    for (let i = 0; i < 3; i++) {
      const response = await undiciFetch(`${replicas.balancer.url}/mcp`, {
        method: "POST",
        dispatcher: perRequest,
        headers,
        body,
      });
      expect(response.status).toBe(200);
      answers.push(await response.text());
    }
    for (const answer of answers) expect(answer).toContain('"text":"Echo: ｍ  x"');
    const stream = await undiciFetch(`${replicas.balancer.url}/mcp`, {
      method: "GET",
      dispatcher: perRequest,
      headers: { accept: "text/event-stream", "mcp-session-id": session, "mcp-protocol-version": "2025-11-25" },
    });
    expect(stream.status).toBe(200);
    expect(stream.headers.get("content-type")).toMatch(/text\/event-stream/);
    await stream.body?.cancel();
    const deleted = await undiciFetch(`${replicas.balancer.url}/mcp`, {
      method: "DELETE",
      dispatcher: perRequest,
      headers,
    });
    expect(deleted.status).toBe(200);
    // The pod's server no longer knows the session: it answers as it does for any unknown session.
    const afterDelete = await undiciFetch(`${replicas.balancer.url}/mcp`, {
      method: "POST",
      dispatcher: perRequest,
      headers,
      body,
    });
    const pod = replicas.pods.find((p) => p.ip === unwrapSessionId(session)?.replicaIp) as Pod;
    const unknownDirect = await undiciFetch(`${pod.server?.url}/mcp`, {
      method: "POST",
      headers: { ...headers, "mcp-session-id": unwrapSessionId(session)?.upstreamSessionId as string },
      body,
    });
    expect({ status: afterDelete.status, body: await afterDelete.text() }).toEqual({
      status: unknownDirect.status,
      body: await unknownDirect.text(),
    });
  });

  it("answers 404 at once for an id naming an address that is no replica, and connects nowhere", async () => {
    const response = await undiciFetch(`${replicas.balancer.url}/mcp`, {
      method: "POST",
      dispatcher: perRequest,
      headers: {
        "content-type": "application/json",
        accept: "application/json, text/event-stream",
        // 169.254.169.254: a cloud metadata address a forged id might aim at.
        "mcp-session-id": "mcps.a9fea9fe.forged",
      },
      body: '{"jsonrpc":"2.0","id":3,"method":"tools/list"}',
    });
    expect(response.status).toBe(404);
    expect(await response.json()).toMatchObject({
      jsonrpc: "2.0",
      id: 3,
      error: { code: -32001, data: { code: "MCPSCOPE_REPLICA_GONE" } },
    });
  });
});

describe("a replica deleted mid-session", () => {
  let replicas: Replicas;
  beforeAll(async () => {
    replicas = await startReplicas("streamableHttp");
  }, 120_000);
  afterAll(async () => replicas?.stop());

  it("ends its sessions with 404 and the others carry on", async () => {
    const clients = await Promise.all(
      Array.from({ length: 9 }, async () => {
        const client = new Client({ name: "mcpscope-replicas", version: "1.0.0" });
        const transport = new StreamableHTTPClientTransport(new URL(`${replicas.balancer.url}/mcp`), {
          fetch: fetchPerRequest,
        });
        await client.connect(transport);
        await client.callTool({ name: "echo", arguments: { message: "before" } });
        return { client, pod: unwrapSessionId(transport.sessionId as string)?.replicaIp };
      }),
    );
    expect(new Set(clients.map((c) => c.pod))).toEqual(new Set(podIps));
    const doomed = replicas.pods[2] as Pod;
    await doomed.kill();
    const before = await metricsOf(replicas.pods.slice(0, 2));

    const outcomes = await Promise.all(
      clients.map(async ({ client, pod }) => {
        try {
          const result = await client.callTool({ name: "echo", arguments: { message: "after" } });
          return { pod, ok: result };
        } catch (error) {
          return { pod, failed: (error as { code?: number }).code, message: String(error) };
        }
      }),
    );
    for (const outcome of outcomes) {
      if (outcome.pod === doomed.ip)
        expect(outcome).toMatchObject({ failed: 404, message: expect.stringContaining("MCPSCOPE_REPLICA_GONE") });
      else expect(outcome).toEqual({ pod: outcome.pod, ok: { content: [{ type: "text", text: "Echo: after" }] } });
    }
    const lost = outcomes.filter((o) => o.pod === doomed.ip).length;
    expect(lost).toBeGreaterThan(0);
    const after = await metricsOf(replicas.pods.slice(0, 2));
    const gone =
      total(after, "mcp_sidecar_errors_total", { reason: "replica_gone" }) -
      total(before, "mcp_sidecar_errors_total", { reason: "replica_gone" });
    expect(gone).toBeGreaterThanOrEqual(lost);
    await Promise.all(clients.filter((c) => c.pod !== doomed.ip).map((c) => c.client.close()));
    await Promise.all(clients.filter((c) => c.pod === doomed.ip).map((c) => c.client.close().catch(() => {})));
  });
});

describe("three legacy HTTP+SSE replicas", () => {
  let replicas: Replicas;
  beforeAll(async () => {
    replicas = await startReplicas("sse");
  }, 120_000);
  afterAll(async () => replicas?.stop());

  it("routes every POST to the pod holding its /sse stream, spread over all pods", async () => {
    const clients = await Promise.all(
      Array.from({ length: 9 }, async () => {
        const client = new Client({ name: "mcpscope-replicas-sse", version: "1.0.0" });
        await client.connect(
          new SSEClientTransport(new URL(`${replicas.balancer.url}/sse`), { fetch: fetchPerRequest }),
        );
        return client;
      }),
    );
    const streams = await metricsOf(replicas.pods);
    for (const points of streams)
      expect(sampleValue(points, "mcp_streams_active", { kind: "legacy_sse" })).toBeGreaterThan(0);
    const results = await Promise.all(clients.map((client) => converse(client)));
    for (const result of results) expect(result.echoes).toEqual(expectedEchoes);
    const after = await metricsOf(replicas.pods);
    expect(total(after, "mcp_requests_total", { method: "tools/call", status: "ok" })).toBe(45);
    expect(total(after, "mcp_requests_total", { method: "initialize", status: "ok" })).toBe(9);
    expect(total(after, "mcp_replica_forwards_total")).toBeGreaterThan(0);
    await Promise.all(clients.map((client) => client.close()));
  });
});

describe("three command-mode (stdio) replicas", () => {
  let replicas: Replicas;
  beforeAll(async () => {
    replicas = await startReplicas("stdio");
  }, 120_000);
  afterAll(async () => replicas?.stop());

  it("keeps every bridge session on its pod and ends a deleted pod's sessions with 404", async () => {
    const sessions = await Promise.all(Array.from({ length: 9 }, () => sdk1Session(replicas.balancer.url)));
    for (const session of sessions) expect(session.echoes).toEqual(expectedEchoes);
    expect(new Set(sessions.map((s) => s.pod))).toEqual(new Set(podIps));
    const after = await metricsOf(replicas.pods);
    expect(total(after, "mcp_requests_total", { method: "tools/call", status: "ok" })).toBe(45);

    const client = new Client({ name: "mcpscope-replicas", version: "1.0.0" });
    let transport = new StreamableHTTPClientTransport(new URL(`${replicas.balancer.url}/mcp`), {
      fetch: fetchPerRequest,
    });
    await client.connect(transport);
    const doomed = replicas.pods.find((p) => p.ip === unwrapSessionId(transport.sessionId as string)?.replicaIp) as Pod;
    await doomed.kill();
    await expect(client.callTool({ name: "echo", arguments: { message: "after" } })).rejects.toMatchObject({
      code: 404,
      message: expect.stringContaining("MCPSCOPE_REPLICA_GONE"),
    });
    await client.close().catch(() => {});
    // A new session lands on a live pod.
    const fresh = new Client({ name: "mcpscope-replicas", version: "1.0.0" });
    transport = new StreamableHTTPClientTransport(new URL(`${replicas.balancer.url}/mcp`), { fetch: fetchPerRequest });
    await fresh.connect(transport);
    expect(await fresh.callTool({ name: "echo", arguments: { message: "again" } })).toEqual({
      content: [{ type: "text", text: "Echo: again" }],
    });
    await fresh.close();
  });
});

describe("stateless 2026-07-28 traffic across replicas", () => {
  const servers: RunningModernServer[] = [];
  let replicas: Replicas;
  beforeAll(async () => {
    for (const _ of podIps) servers.push(await startModernServer());
    replicas = await startReplicas({ url: (ip) => (servers[podIps.indexOf(ip)] as { url: string }).url });
  }, 120_000);
  afterAll(async () => {
    await replicas?.stop();
    await Promise.all(servers.map((s) => s.close()));
  });

  it("goes wherever the balancer sends it and is never forwarded", async () => {
    const before = await metricsOf(replicas.pods);
    for (let i = 0; i < 9; i++) {
      const response = await undiciFetch(`${replicas.balancer.url}/mcp`, {
        method: "POST",
        dispatcher: perRequest,
        headers: {
          "content-type": "application/json",
          accept: "application/json, text/event-stream",
          "mcp-protocol-version": "2026-07-28",
          "mcp-method": "tools/call",
          "mcp-name": "echo",
        },
        body: JSON.stringify({
          jsonrpc: "2.0",
          id: i,
          method: "tools/call",
          params: {
            name: "echo",
            arguments: { message: "x" },
            _meta: {
              "io.modelcontextprotocol/protocolVersion": "2026-07-28",
              "io.modelcontextprotocol/clientInfo": { name: "raw", version: "1" },
              "io.modelcontextprotocol/clientCapabilities": {},
            },
          },
        }),
      });
      expect(response.status).toBe(200);
      await response.text();
    }
    const after = await metricsOf(replicas.pods);
    for (const [index, points] of after.entries()) {
      const calls =
        sampleValue(points, "mcp_requests_total", { method: "tools/call" }) -
        sampleValue(before[index] as MetricPoint[], "mcp_requests_total", { method: "tools/call" });
      expect(calls).toBe(3);
    }
    expect(total(after, "mcp_replica_forwards_total")).toBe(0);
  });
});
