import { type ChildProcess, spawn } from "node:child_process";
import { createServer } from "node:net";
import { fileURLToPath } from "node:url";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import { afterEach, describe, expect, it } from "vitest";
import { type RunningProcess, startEverythingServer, stopProcess, waitForOutput } from "./testing/everything-server.js";
import { freePort } from "./testing/free-port.js";
import { readMetrics, sampleValue } from "./testing/prometheus-text.js";

// The built entry point, as `node sidecar/dist/main.js` runs it in images and the demo.
const mainJs = fileURLToPath(new URL("../dist/main.js", import.meta.url));

let upstream: RunningProcess | undefined;
let sidecar: ChildProcess | undefined;

afterEach(async () => {
  if (sidecar) await stopProcess(sidecar);
  await upstream?.stop();
  sidecar = undefined;
  upstream = undefined;
});

function runSidecar(env: Record<string, string>): ChildProcess {
  return spawn(process.execPath, [mainJs], {
    env: { PATH: process.env.PATH ?? "", HOST: "127.0.0.1", METRICS_HOST: "127.0.0.1", ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
}

function exitOf(child: ChildProcess): Promise<{ code: number | null; stderr: string }> {
  let stderr = "";
  child.stderr?.on("data", (d: Buffer) => {
    stderr += d.toString();
  });
  return new Promise((resolve) => child.once("exit", (code) => resolve({ code, stderr })));
}

describe("mcpscope-sidecar process", () => {
  it("refuses to start on bad configuration with exit code 78 and one line per problem", async () => {
    const child = runSidecar({ MCP_UPSTREAM_URL: "ftp://x", MCP_UPSTREAM_NAME: "w" });
    const { code, stderr } = await exitOf(child);
    expect(code).toBe(78);
    expect(stderr).toBe('ConfigError: MCP_UPSTREAM_URL must be an http(s) URL with a host, got "ftp://x"\n');
  });

  it("fails start-up clearly when the metrics port is taken", async () => {
    const blocker = createServer();
    const metricsPort = await freePort();
    await new Promise<void>((resolve) => blocker.listen(metricsPort, "127.0.0.1", () => resolve()));
    try {
      const child = runSidecar({
        MCP_UPSTREAM_URL: "http://127.0.0.1:1",
        MCP_UPSTREAM_NAME: "w",
        PORT: String(await freePort()),
        METRICS_PORT: String(metricsPort),
      });
      const { code, stderr } = await exitOf(child);
      expect(code).toBe(1);
      expect(stderr).toContain("EADDRINUSE");
    } finally {
      blocker.close();
    }
  });

  it("drains on SIGTERM: an in-flight tool call completes, then it exits 0", async () => {
    upstream = await startEverythingServer("streamableHttp");
    const port = await freePort();
    const metricsPort = await freePort();
    sidecar = runSidecar({
      MCP_UPSTREAM_URL: upstream.url,
      MCP_UPSTREAM_NAME: "drain",
      PORT: String(port),
      METRICS_PORT: String(metricsPort),
      MCP_SHUTDOWN_GRACE_MS: "3000",
    });
    await waitForOutput(sidecar, /mcpscope sidecar listening/, 15_000, "sidecar");
    const exited = exitOf(sidecar);
    const client = new Client({ name: "drain-test", version: "1.0.0" });
    await client.connect(new StreamableHTTPClientTransport(new URL(`http://127.0.0.1:${port}/mcp`)));
    let signalled = false;
    const call = client.callTool(
      { name: "trigger-long-running-operation", arguments: { duration: 1, steps: 4 } },
      undefined,
      {
        onprogress: () => {
          if (!signalled) {
            signalled = true;
            sidecar?.kill("SIGTERM");
          }
        },
      },
    );
    const result = await call;
    expect(signalled).toBe(true);
    expect(JSON.stringify(result)).toContain("Long running operation completed");
    // New connections are refused once draining has begun.
    await expect(fetch(`http://127.0.0.1:${port}/livez`)).rejects.toThrow();
    const { code } = await exited;
    expect(code).toBe(0);
    await client.close().catch(() => {});
  });

  it("serves Prometheus metrics on METRICS_PORT with mcpscope's metric names", async () => {
    upstream = await startEverythingServer("streamableHttp");
    const port = await freePort();
    const metricsPort = await freePort();
    sidecar = runSidecar({
      MCP_UPSTREAM_URL: upstream.url,
      MCP_UPSTREAM_NAME: "weather",
      PORT: String(port),
      METRICS_PORT: String(metricsPort),
      LOG_LEVEL: "debug",
    });
    let stdout = "";
    sidecar.stdout?.on("data", (d: Buffer) => {
      stdout += d.toString();
    });
    await waitForOutput(sidecar, /mcpscope sidecar listening/, 15_000, "sidecar");
    const client = new Client({ name: "m", version: "1.0.0" });
    const transport = new StreamableHTTPClientTransport(new URL(`http://127.0.0.1:${port}/mcp`));
    await client.connect(transport);
    await client.ping();
    await transport.terminateSession();
    await client.close();
    const points = await readMetrics(`http://127.0.0.1:${metricsPort}/metrics`);
    expect(sampleValue(points, "mcp_requests_total", { server_name: "weather", method: "ping", status: "ok" })).toBe(1);
    expect(sampleValue(points, "mcp_request_duration_seconds_count", { server_name: "weather", method: "ping" })).toBe(
      1,
    );
    expect(points.find((p) => p.name === "target_info")?.labels).toMatchObject({ service_name: "mcp-sidecar-weather" });
    // At debug level: one JSON log line per exchange.
    const exchanges = stdout
      .split("\n")
      .filter((line) => line.startsWith("{"))
      .map((line) => JSON.parse(line) as { msg: string; method?: string; statusCode?: number })
      .filter((entry) => entry.msg === "exchange");
    expect(exchanges.filter((e) => e.method === "POST").map((e) => e.statusCode)).toEqual([200, 202, 200]);
  });
});
