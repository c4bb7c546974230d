import { spawn } from "node:child_process";
import { fileURLToPath } from "node:url";
import {
  freePort,
  type RunningProcess,
  readMetrics,
  sampleValue,
  startEverythingServer,
  startTestSidecar,
  stopProcess,
  waitForOutput,
} from "@mcpscope/sidecar/testing";
import { request } from "undici";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { runProgram } from "./harness/programs.js";

// The Python MCP SDK (`mcp` from PyPI, installed by e2e/tools/setup.sh) as server and as client,
// directly and through the sidecar, on both protocol generations.

const peer = fileURLToPath(new URL("../python/mcp_peer.py", import.meta.url));
type Sidecar = Awaited<ReturnType<typeof startTestSidecar>>;

let pythonServer: RunningProcess;
let everything: RunningProcess;
let viaPython: Sidecar;
let viaEverything: Sidecar;

async function startPythonServer(): Promise<RunningProcess> {
  const port = await freePort();
  const child = spawn(inject("tools").PYTHON_MCP, [peer, "serve", String(port)], { stdio: ["ignore", "pipe", "pipe"] });
  await waitForOutput(child, /Uvicorn running on/, 30_000, "the Python MCP server");
  return { url: `http://127.0.0.1:${port}`, port, child, stop: () => stopProcess(child) };
}

interface Conversation {
  protocolVersion: string;
  tools: string[];
  echoes: Array<{ content: Array<{ text: string }> }>;
  failed: { is_error: boolean };
}

/** One conversation by the Python SDK's client; mode auto (its default) probes server/discover first. */
async function converse(url: string, mode: "auto" | "legacy"): Promise<Conversation> {
  const result = await runProgram(inject("tools").PYTHON_MCP, [peer, "converse", url, mode]);
  if (result.code !== 0) throw new Error(`python client failed (${result.code}):\n${result.stderr}`);
  return JSON.parse(result.stdout) as Conversation;
}

beforeAll(async () => {
  [pythonServer, everything] = await Promise.all([startPythonServer(), startEverythingServer("streamableHttp")]);
  viaPython = await startTestSidecar({ MCP_UPSTREAM_URL: pythonServer.url, MCP_UPSTREAM_NAME: "python" });
  viaEverything = await startTestSidecar({ MCP_UPSTREAM_URL: everything.url, MCP_UPSTREAM_NAME: "everything" });
}, 120_000);

afterAll(async () => {
  await Promise.allSettled([viaPython?.close(), viaEverything?.close()]);
  await Promise.allSettled([pythonServer?.stop(), everything?.stop()]);
});

describe("the Python MCP SDK through the sidecar", { timeout: 120_000 }, () => {
  it("reports the Python server up by server/discover, with the revisions it speaks", async () => {
    const response = await request(`${viaPython.proxyUrl}/health`);
    expect(response.statusCode).toBe(200);
    const body = (await response.body.json()) as { upstream: { probe: string; protocolVersions: string[] } };
    expect(body.upstream.probe).toBe("server/discover");
    expect(body.upstream.protocolVersions).toContain("2026-07-28");
  });

  it("gives the Python client the same results directly and through the sidecar, on 2026-07-28 and 2025-11-25", async () => {
    const before = await readMetrics(viaPython.metricsUrl);
    for (const [mode, version] of [
      ["auto", "2026-07-28"],
      ["legacy", "2025-11-25"],
    ] as const) {
      const direct = await converse(`${pythonServer.url}/mcp`, mode);
      const proxied = await converse(`${viaPython.proxyUrl}/mcp`, mode);
      expect(proxied).toEqual(direct);
      expect(proxied.protocolVersion).toBe(version);
      expect(proxied.tools).toEqual(["echo", "fail"]);
      expect(proxied.echoes.map((e) => e.content[0]?.text)).toEqual(["Echo: one", "Echo: two"]);
      expect(proxied.failed.is_error).toBe(true);
    }
    const after = await readMetrics(viaPython.metricsUrl);
    const delta = (name: string, labels: Record<string, string>) =>
      sampleValue(after, name, labels) - sampleValue(before, name, labels);
    expect(delta("mcp_tool_calls_total", { tool_name: "echo", status: "ok" })).toBe(4);
    expect(delta("mcp_tool_calls_total", { tool_name: "fail", status: "error", error_type: "tool_error" })).toBe(2);
    expect(delta("mcp_requests_total", { method: "tools/list", status: "ok" })).toBe(2);
    // One initialize (legacy) and the auto client's discover, both known methods.
    expect(delta("mcp_requests_total", { method: "initialize", status: "ok" })).toBe(1);
    expect(delta("mcp_requests_total", { method: "other" })).toBe(0);
    expect(delta("mcp_sidecar_errors_total", {})).toBe(0);
  });

  it("lets the Python client fall back to initialize against server-everything, through the sidecar", async () => {
    const result = await runProgram(inject("tools").PYTHON_MCP, [
      "-c",
      [
        "import asyncio, json, sys",
        "from mcp import Client",
        "async def main():",
        "    async with Client(sys.argv[1]) as client:",
        '        r = await client.call_tool("echo", {"message": "from python"})',
        "        print(json.dumps({'v': client.protocol_version, 'text': r.content[0].text}))",
        "asyncio.run(main())",
      ].join("\n"),
      `${viaEverything.proxyUrl}/mcp`,
    ]);
    expect(result.code).toBe(0);
    expect(JSON.parse(result.stdout)).toEqual({ v: "2025-11-25", text: "Echo: from python" });
    const points = await readMetrics(viaEverything.metricsUrl);
    expect(sampleValue(points, "mcp_tool_calls_total", { status: "ok" })).toBe(1);
  });
});
