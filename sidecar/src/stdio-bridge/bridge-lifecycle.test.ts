import { execFile } from "node:child_process";
import { randomUUID } from "node:crypto";
import { mkdtemp, readFile, readlink, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import { request } from "undici";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { RunningSidecar } from "../sidecar.js";
import { everythingServerScript } from "../testing/everything-server.js";
import { postInitialize } from "../testing/mcp-http.js";
import { readMetrics, sampleValue } from "../testing/prometheus-text.js";
import { startTestSidecar } from "../testing/sidecar-harness.js";
import { scaled } from "../testing/test-scale.js";

// Command mode as users run it: clients that never send DELETE, command lines with assignments and
// `cd … &&`, a full bridge, and children that must not outlive their sessions.

let sidecar: RunningSidecar | undefined;
let workDir: string;
let mark: string;

beforeEach(async () => {
  workDir = await mkdtemp(join(tmpdir(), "mcpscope-stdio-"));
  mark = `mcpscope-mark-${randomUUID()}`;
});

afterEach(async () => {
  await sidecar?.close();
  sidecar = undefined;
  await rm(workDir, { recursive: true, force: true });
});

/** A shell command line that needs a shell: `cd`, `&&` and a variable assignment before the command. */
function commandLine(): string {
  return `cd ${JSON.stringify(workDir)} && MCPSCOPE_TEST_VAR=from-the-command-line ${JSON.stringify(process.execPath)} ${JSON.stringify(everythingServerScript())} stdio ${mark}`;
}

/** The pids of the server processes (node, not the shell) this test's command started. */
async function serverPids(): Promise<number[]> {
  const { stdout } = await promisify(execFile)("ps", ["-eo", "pid=,args="]);
  return stdout
    .split("\n")
    .map((line) => line.trim().split(/\s+/))
    .filter(([, program, ...args]) => program === process.execPath && args.includes(mark))
    .map(([pid]) => Number(pid));
}

async function connect(): Promise<{ client: Client; transport: StreamableHTTPClientTransport }> {
  const client = new Client({ name: "mcpscope-test", version: "1.0.0" });
  const transport = new StreamableHTTPClientTransport(new URL(`${sidecar?.proxyUrl}/mcp`));
  await client.connect(transport);
  return { client, transport };
}

/** How long a process may take to exit and be reaped, or a session to idle out. */
const settle = { timeout: 20_000 };

const sequentialClients = scaled(100, 12);

describe("command mode over many clients", { timeout: 300_000 }, () => {
  it("runs the command exactly as /bin/sh -c would: cd, &&, and VAR=x before the command", async () => {
    sidecar = await startTestSidecar({ MCP_UPSTREAM_COMMAND: commandLine() });
    // The health probe keeps one session (one process) of its own.
    await (await request(`${sidecar.proxyUrl}/health`)).body.text();
    const probe = await serverPids();
    const { client, transport } = await connect();
    const echo = await client.callTool({ name: "echo", arguments: { message: "hi" } });
    expect(echo).toEqual({ content: [{ type: "text", text: "Echo: hi" }] });
    const [pid] = (await serverPids()).filter((p) => !probe.includes(p));
    expect(pid).toBeDefined();
    expect(await readlink(`/proc/${pid}/cwd`)).toBe(workDir);
    expect((await readFile(`/proc/${pid}/environ`, "utf8")).split("\0")).toContain(
      "MCPSCOPE_TEST_VAR=from-the-command-line",
    );
    await transport.terminateSession();
    await client.close();
    await expect.poll(serverPids, { ...settle, message: "the server process reaped after DELETE" }).not.toContain(pid);
  });

  it(`serves ${sequentialClients} sequential clients that never send DELETE, with at most MCP_STDIO_MAX_SESSIONS processes alive`, async () => {
    sidecar = await startTestSidecar({
      MCP_UPSTREAM_COMMAND: commandLine(),
      MCP_STDIO_MAX_SESSIONS: "4",
      MCP_STDIO_SESSION_IDLE_MS: "2000",
      // One health probe, at start: its session idles out like the clients'.
      MCP_HEALTH_INTERVAL_MS: "3600000",
    });
    let mostAlive = 0;
    // The clients go round the 4 slots (25 times; 3 in the quick loop): each new one must end an idle
    // session to get in.
    for (let i = 0; i < sequentialClients; i++) {
      const { client } = await connect();
      const echo = await client.callTool({ name: "echo", arguments: { message: `client ${i}` } });
      expect(echo).toEqual({ content: [{ type: "text", text: `Echo: client ${i}` }] });
      // close() ends the client's streams but sends no DELETE, as most clients do.
      await client.close();
      if (i % 5 === 0) mostAlive = Math.max(mostAlive, (await serverPids()).length);
    }
    // Four clients' processes, and at times the health probe's own (outside the slots).
    expect(mostAlive).toBeLessThanOrEqual(5);
    const points = await readMetrics(sidecar.metricsUrl);
    expect(sampleValue(points, "mcp_tool_calls_total", { status: "ok" })).toBe(sequentialClients);
    expect(sampleValue(points, "mcp_sidecar_errors_total", { reason: "bridge_full" })).toBe(0);
    // With no client left, the idle time-out ends the rest and every process is reaped.
    await expect.poll(serverPids, { ...settle, message: "idle sessions ended and their processes reaped" }).toEqual([]);
  });

  it("says degraded and refuses a new client only while every session is busy, then takes it", async () => {
    sidecar = await startTestSidecar({
      MCP_UPSTREAM_COMMAND: commandLine(),
      MCP_STDIO_MAX_SESSIONS: "2",
      MCP_HEALTH_CACHE_MS: "0",
    });
    await (await request(`${sidecar.proxyUrl}/health`)).body.text();
    // Connected SDK clients hold their GET stream open: their sessions are busy, not idle.
    const first = await connect();
    const second = await connect();
    // Two clients fill the two slots (the health probe's own session is outside them).
    await expect.poll(async () => (await serverPids()).length, { ...settle, message: "two busy sessions" }).toBe(3);
    const refused = await postInitialize(sidecar.proxyUrl, { id: 1 });
    expect(refused.statusCode).toBe(503);
    expect(await refused.body.json()).toMatchObject({ error: { data: { code: "MCPSCOPE_BRIDGE_FULL" } } });
    const health = await request(`${sidecar.proxyUrl}/health`);
    expect(health.statusCode).toBe(503);
    expect(await health.body.json()).toMatchObject({
      status: "degraded",
      bridge: { sessions: 2, busy: 2, maxSessions: 2 },
    });
    expect(
      sampleValue(await readMetrics(sidecar.metricsUrl), "mcp_sidecar_errors_total", { reason: "bridge_full" }),
    ).toBe(1);

    // The first client leaves: its session is idle now, so a new client takes its slot.
    await first.client.close();
    const healthNow = async () => (await (await request(`${sidecar?.proxyUrl}/health`)).body.json()) as object;
    await expect.poll(healthNow, { ...settle, message: "a session idle again" }).toMatchObject({ status: "ok" });
    const third = await connect();
    expect(await third.client.callTool({ name: "echo", arguments: { message: "in" } })).toMatchObject({
      content: [{ text: "Echo: in" }],
    });
    await Promise.all([second.client.close(), third.client.close()]);
  });

  it("leaves no server process behind when the sidecar stops", async () => {
    sidecar = await startTestSidecar({ MCP_UPSTREAM_COMMAND: commandLine() });
    await (await request(`${sidecar.proxyUrl}/health`)).body.text();
    const clients = await Promise.all([connect(), connect(), connect()]);
    // Three clients' processes and the health probe's.
    expect((await serverPids()).length).toBe(4);
    await Promise.all(clients.map(({ client }) => client.close()));
    await sidecar.close();
    sidecar = undefined;
    expect(await serverPids()).toEqual([]);
  });
});
