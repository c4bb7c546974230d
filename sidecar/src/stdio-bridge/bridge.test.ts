import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import { request } from "undici";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { RunningSidecar } from "../sidecar.js";
import { runClientScenario } from "../testing/client-scenario.js";
import { everythingStdioCommand, startEverythingServer } from "../testing/everything-server.js";
import { postInitialize } from "../testing/mcp-http.js";
import { readMetrics, sampleValue } from "../testing/prometheus-text.js";
import { startTestSidecar } from "../testing/sidecar-harness.js";

let sidecar: RunningSidecar;

beforeAll(async () => {
  sidecar = await startTestSidecar({
    MCP_UPSTREAM_COMMAND: everythingStdioCommand(),
    MCP_UPSTREAM_NAME: "stdio-everything",
  });
});

afterAll(async () => {
  await sidecar?.close();
});

async function connect(url = sidecar.proxyUrl) {
  const client = new Client({ name: "mcpscope-test", version: "1.0.0" });
  const transport = new StreamableHTTPClientTransport(new URL(`${url}/mcp`));
  await client.connect(transport);
  return { client, transport };
}

describe("MCP_UPSTREAM_COMMAND: a stdio server served as Streamable HTTP", () => {
  it("runs the full client scenario against server-everything over stdio", async () => {
    const { client, transport } = await connect();
    const results = await runClientScenario(client);
    expect(results.echo).toEqual({ content: [{ type: "text", text: "Echo: hello through mcpscope" }] });
    expect(results.tools).toContain("get-sum");
    expect(results.progress.slice(0, 2)).toEqual([1, 2]);
    await transport.terminateSession();
    await client.close();
    const points = await readMetrics(sidecar.metricsUrl);
    expect(
      sampleValue(points, "mcp_tool_calls_total", { server_name: "stdio-everything", tool_name: "echo", status: "ok" }),
    ).toBe(1);
    expect(sampleValue(points, "mcp_tool_calls_total", { tool_name: "get-sum", status: "error" })).toBe(1);
  });

  it("gets what server-everything answers over Streamable HTTP directly, every progress event included", async () => {
    const upstream = await startEverythingServer("streamableHttp");
    try {
      const scenarioOver = async (url: string) => {
        const { client, transport } = await connect(url);
        const { progressBeforeResult: _timingDependent, ...results } = await runClientScenario(client);
        await transport.terminateSession();
        await client.close();
        return results;
      };
      const direct = await scenarioOver(upstream.url);
      expect(direct.progress).toEqual([1, 2, 3]);
      expect(await scenarioOver(sidecar.proxyUrl)).toEqual(direct);
    } finally {
      await upstream.stop();
    }
  });

  it("gives each MCP session its own server process", async () => {
    const a = await connect();
    const b = await connect();
    expect(a.transport.sessionId).not.toBe(b.transport.sessionId);
    const [sumA, sumB] = await Promise.all([
      a.client.callTool({ name: "get-sum", arguments: { a: 1, b: 2 } }),
      b.client.callTool({ name: "get-sum", arguments: { a: 3, b: 4 } }),
    ]);
    // Each session's own process answers its own call.
    expect(sumA).toEqual({ content: [{ type: "text", text: "The sum of 1 and 2 is 3." }] });
    expect(sumB).toEqual({ content: [{ type: "text", text: "The sum of 3 and 4 is 7." }] });
    await a.transport.terminateSession();
    await b.transport.terminateSession();
    await Promise.all([a.client.close(), b.client.close()]);
  });

  it("answers 404 for a session that does not exist", async () => {
    const response = await request(`${sidecar.proxyUrl}/mcp`, {
      method: "POST",
      headers: {
        "content-type": "application/json",
        accept: "application/json, text/event-stream",
        "mcp-session-id": "nope",
      },
      body: '{"jsonrpc":"2.0","id":1,"method":"ping"}',
    });
    expect(response.statusCode).toBe(404);
    expect(await response.body.json()).toEqual({
      jsonrpc: "2.0",
      id: null,
      error: { code: -32001, message: "Session not found" },
    });
  });

  it("reports the bridge healthy through /health", async () => {
    const response = await request(`${sidecar.proxyUrl}/health`);
    expect(response.statusCode).toBe(200);
    expect(((await response.body.json()) as { upstream: { reachable: boolean } }).upstream.reachable).toBe(true);
  });
});

describe("MCP_UPSTREAM_COMMAND that cannot start", () => {
  it("fails initialize with a clear JSON-RPC error instead of hanging", async () => {
    const broken = await startTestSidecar({ MCP_UPSTREAM_COMMAND: "/nonexistent/mcp-server --stdio" });
    try {
      const response = await postInitialize(broken.proxyUrl, { id: 1, protocolVersion: "2025-06-18" });
      const body = await response.body.text();
      // The SSE response had begun; the request still gets its own JSON-RPC error rather than silence.
      expect(response.statusCode).toBe(200);
      expect(body).toContain(
        'data: {"jsonrpc":"2.0","id":1,"error":{"code":-32000,"message":"mcpscope: the stdio MCP server exited before answering (its stderr is in the sidecar\'s log)","data":{"code":"MCPSCOPE_STDIO_EXITED"}}}',
      );
    } finally {
      await broken.close();
    }
  });
});
