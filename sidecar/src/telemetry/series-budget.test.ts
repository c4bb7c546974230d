import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import { McpServer } from "@modelcontextprotocol/sdk/server/mcp.js";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { z } from "zod";
import type { RunningSidecar } from "../sidecar.js";
import { readMetrics } from "../testing/prometheus-text.js";
import { startTestSidecar } from "../testing/sidecar-harness.js";
import { statelessMcpHandler } from "../testing/stateless-mcp-handler.js";

// What one MCP server costs Prometheus: every series its sidecar exposes after a 20-tool server has
// seen every kind of outcome. README "Series per server" multiplies this by 1,000 servers.
const toolCount = 20;
/**
 * The budget per server (README "Series per server"): measured 522 in the worst case this test makes
 * (every tool both succeeded and failed); 585 before the result-token histogram lost its bounds under
 * 1,000 tokens, 606 before mcp_server_operation_duration took the 14 boundaries the MCP conventions
 * advise (17 before), 1,386 before per-tool latency became opt-in (MCP_TOOL_LATENCY: gen_ai.tool.name on
 * mcp_server_operation_duration, 46 label sets × 20 then, 7 × 17 now). Of the rest, 210 are the
 * per-tool result-token histogram (MCP_CONTEXT_COST=off: 289 in all, within issue 16's 400).
 * A change that adds series shows here first.
 */
const seriesBudget = 540;

const toolNames = Array.from({ length: toolCount }, (_, i) => `tool_${String(i + 1).padStart(2, "0")}`);

/** A real MCP server (TypeScript SDK 1.x, stateless Streamable HTTP) with 20 tools, each of which can fail. */
async function startTwentyToolServer(): Promise<{ url: string; close(): Promise<void> }> {
  const http: Server = createServer(
    statelessMcpHandler(() => {
      const server = new McpServer({ name: "twenty-tools", version: "1.0.0" });
      for (const name of toolNames) {
        server.registerTool(name, { inputSchema: { fail: z.boolean().optional() } }, async ({ fail }) => ({
          content: [{ type: "text", text: fail ? `${name} failed` : `${name} ok` }],
          ...(fail ? { isError: true } : {}),
        }));
      }
      return server;
    }),
  );
  await new Promise<void>((resolve) => http.listen(0, "127.0.0.1", resolve));
  return {
    url: `http://127.0.0.1:${(http.address() as AddressInfo).port}`,
    close: () => new Promise<void>((resolve) => http.close(() => resolve())),
  };
}

let upstream: Awaited<ReturnType<typeof startTwentyToolServer>>;
let sidecar: RunningSidecar;
beforeAll(async () => {
  upstream = await startTwentyToolServer();
  sidecar = await startTestSidecar({ MCP_UPSTREAM_URL: upstream.url, MCP_UPSTREAM_NAME: "twenty-tools" });
});
afterAll(async () => {
  await sidecar?.close();
  await upstream?.close();
});

describe("Prometheus series for one 20-tool server", () => {
  it(`stay within ${seriesBudget} after every tool has succeeded and failed, with protocol errors and pings`, async () => {
    const client = new Client({ name: "series-budget", version: "1.0.0" });
    await client.connect(new StreamableHTTPClientTransport(new URL(`${sidecar.proxyUrl}/mcp`)));
    expect((await client.listTools()).tools).toHaveLength(toolCount);
    await client.ping();
    for (const name of toolNames) {
      expect(await client.callTool({ name, arguments: {} })).toEqual({
        content: [{ type: "text", text: `${name} ok` }],
      });
      expect(await client.callTool({ name, arguments: { fail: true } })).toMatchObject({ isError: true });
    }
    // Protocol errors: an unknown tool, bad arguments, a method the server lacks.
    await expect(client.callTool({ name: "no_such_tool", arguments: {} })).resolves.toMatchObject({ isError: true });
    await expect(client.callTool({ name: "tool_01", arguments: { fail: "yes" } })).resolves.toMatchObject({
      isError: true,
    });
    await expect(client.listResources()).rejects.toThrow(/Method not found/);
    await client.close();

    const points = await readMetrics(sidecar.metricsUrl);
    const perMetric = new Map<string, number>();
    for (const p of points) {
      const family = p.name.replace(/_(bucket|sum|count)$/, "");
      perMetric.set(family, (perMetric.get(family) ?? 0) + 1);
    }
    const table = [...perMetric].sort((a, b) => b[1] - a[1]).map(([name, n]) => `  ${String(n).padStart(4)} ${name}`);
    console.log(`── series for one ${toolCount}-tool server: ${points.length} ──\n${table.join("\n")}`);
    // Every tool is counted under its own name: the series grow with tools, so the budget means something.
    const toolSeries = points.filter((p) => p.name === "mcp_tool_calls_total");
    for (const name of toolNames) expect(toolSeries.some((p) => p.labels.tool_name === name)).toBe(true);
    expect(points.length).toBeGreaterThan(toolCount * 2);
    expect(points.length).toBeLessThanOrEqual(seriesBudget);
  });
});
