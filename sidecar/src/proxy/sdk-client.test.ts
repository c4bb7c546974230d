import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { SSEClientTransport } from "@modelcontextprotocol/sdk/client/sse.js";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { RunningSidecar } from "../sidecar.js";
import { runClientScenario, type ScenarioResults } from "../testing/client-scenario.js";
import { type RunningProcess, startEverythingServer } from "../testing/everything-server.js";
import { readMetrics, sampleValue } from "../testing/prometheus-text.js";
import { startTestSidecar } from "../testing/sidecar-harness.js";

const transports = [
  {
    name: "Streamable HTTP",
    server: "streamableHttp",
    sidecarTransport: "streamable-http",
  },
  { name: "HTTP+SSE", server: "sse", sidecarTransport: "sse" },
] as const;

describe.each(transports)(
  "the official MCP SDK client through the sidecar over $name",
  ({ server, sidecarTransport }) => {
    let upstream: RunningProcess;
    let sidecar: RunningSidecar;
    let direct: ScenarioResults;
    let proxied: ScenarioResults;

    async function scenarioOver(url: string): Promise<ScenarioResults> {
      const client = new Client({ name: "mcpscope-test", version: "1.0.0" });
      if (server === "sse") {
        await client.connect(new SSEClientTransport(new URL(`${url}/sse`)));
      } else {
        await client.connect(new StreamableHTTPClientTransport(new URL(`${url}/mcp`)));
      }
      const results = await runClientScenario(client);
      if (client.transport instanceof StreamableHTTPClientTransport) await client.transport.terminateSession();
      await client.close();
      return results;
    }

    beforeAll(async () => {
      upstream = await startEverythingServer(server);
      sidecar = await startTestSidecar({
        MCP_UPSTREAM_URL: upstream.url,
        MCP_UPSTREAM_TRANSPORT: sidecarTransport,
        // Latency per tool is opt-in (README "Series per server"): on here, so the tool label is checked.
        MCP_TOOL_LATENCY: "on",
      });
      direct = await scenarioOver(upstream.url);
      proxied = await scenarioOver(sidecar.proxyUrl);
    });

    afterAll(async () => {
      await sidecar?.close();
      await upstream?.stop();
    });

    it("gets results identical to the direct connection for every call", () => {
      const { progressBeforeResult: _p, ...comparable } = proxied;
      const { progressBeforeResult: _d, ...expected } = direct;
      expect(comparable).toEqual(expected);
      expect(proxied.tools.length).toBeGreaterThan(5);
      expect(proxied.echo).toEqual({
        content: [{ type: "text", text: "Echo: hello through mcpscope" }],
      });
    });

    it("receives progress notifications while the tool call is still running", () => {
      // Over HTTP+SSE the SDK drops the last progress that races the result (directly as well),
      // so only the first two are certain; their steps are 100 ms apart, so buffering would show.
      expect(proxied.progress.slice(0, 2)).toEqual([1, 2]);
      expect(proxied.progressBeforeResult.slice(0, 2)).toEqual([1, 2]);
    });

    it("records the exact request counts per method and status", async () => {
      const points = await readMetrics(sidecar.metricsUrl);
      const requests = (method: string, status: string) =>
        sampleValue(points, "mcp_requests_total", {
          server_name: "everything",
          method,
          status,
        });
      expect(requests("initialize", "ok")).toBe(1);
      expect(requests("notifications/initialized", "ok")).toBe(1);
      expect(requests("tools/list", "ok")).toBe(1);
      expect(requests("tools/call", "ok")).toBe(2);
      expect(requests("tools/call", "error")).toBe(1);
      expect(requests("resources/list", "ok")).toBe(1);
      expect(requests("resources/read", "ok")).toBe(1);
      expect(requests("prompts/list", "ok")).toBe(1);
      expect(requests("prompts/get", "ok")).toBe(1);
      expect(requests("ping", "ok")).toBe(1);
      expect(sampleValue(points, "mcp_requests_total")).toBe(11);
    });

    it("labels tool calls by announced tool name, with the erroring call as status=error", async () => {
      const points = await readMetrics(sidecar.metricsUrl);
      const calls = (tool_name: string, status: string) =>
        sampleValue(points, "mcp_tool_calls_total", { tool_name, status });
      expect(calls("echo", "ok")).toBe(1);
      expect(calls("trigger-long-running-operation", "ok")).toBe(1);
      expect(calls("get-sum", "error")).toBe(1);
      expect(sampleValue(points, "mcp_tool_calls_total")).toBe(3);
    });

    it("records the catalogue the client listed, its instructions, and each tool result's tokens", async () => {
      const points = await readMetrics(sidecar.metricsUrl);
      const labels = { server_name: "everything" };
      expect(sampleValue(points, "mcp_tools_listed", labels)).toBe(proxied.tools.length);
      expect(sampleValue(points, "mcp_tools_list_tokens", labels)).toBeGreaterThan(proxied.tools.length * 20);
      expect(sampleValue(points, "mcp_instructions_tokens", labels)).toBeGreaterThan(0);
      for (const tool of proxied.tools) {
        expect(sampleValue(points, "mcp_tool_definition_tokens", { ...labels, tool_name: tool })).toBeGreaterThan(0);
      }
      // Results and tool errors alike: what the client hands the model.
      for (const tool of ["echo", "trigger-long-running-operation", "get-sum"]) {
        expect(sampleValue(points, "mcp_tool_result_tokens_count", { ...labels, tool_name: tool })).toBe(1);
      }
    });

    it("measures the long-running call's duration until its response event", async () => {
      const points = await readMetrics(sidecar.metricsUrl);
      const labels = { server_name: "everything", method: "tools/call" };
      expect(sampleValue(points, "mcp_request_duration_seconds_count", labels)).toBe(3);
      // The long-running tool sleeps 0.3 s in total; the other two calls are fast.
      expect(sampleValue(points, "mcp_request_duration_seconds_sum", labels)).toBeGreaterThanOrEqual(0.3);
      expect(
        sampleValue(points, "mcp_request_duration_seconds_bucket", {
          ...labels,
          le: "+Inf",
        }),
      ).toBe(3);
    });

    it("records the semantic-convention duration with gen_ai.tool.name (MCP_TOOL_LATENCY=on) and error.type", async () => {
      const points = await readMetrics(sidecar.metricsUrl);
      expect(
        sampleValue(points, "mcp_server_operation_duration_count", {
          mcp_method_name: "tools/call",
          gen_ai_tool_name: "get-sum",
          error_type: "tool_error",
        }),
      ).toBe(1);
    });

    it("opened one session and closed it when the client ended it", async () => {
      // Streamable HTTP ends with DELETE; HTTP+SSE ends when the client closes its GET stream.
      const activeSessions = async () =>
        sampleValue(await readMetrics(sidecar.metricsUrl), "mcp_sessions_active", { server_name: "everything" });
      await expect.poll(activeSessions, { timeout: 5_000, interval: 20 }).toBe(0);
      const points = await readMetrics(sidecar.metricsUrl);
      expect(
        sampleValue(points, "mcp_server_session_duration_count", {
          server_name: "everything",
        }),
      ).toBe(1);
    });
  },
);
