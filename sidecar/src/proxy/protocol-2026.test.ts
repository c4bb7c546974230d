import { Client, StreamableHTTPClientTransport } from "@modelcontextprotocol/client";
import { request } from "undici";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { RunningSidecar } from "../sidecar.js";
import { type RunningModernServer, startModernServer } from "../testing/modern-server.js";
import { readMetrics, sampleValue } from "../testing/prometheus-text.js";
import { startTestSidecar } from "../testing/sidecar-harness.js";

// A server that speaks only protocol 2026-07-28 (TypeScript SDK 2.x, no initialize, no sessions, no
// ping) and the SDK 2.x client, directly and through the sidecar.

let server: RunningModernServer;
let sidecar: RunningSidecar;

beforeAll(async () => {
  server = await startModernServer();
  sidecar = await startTestSidecar({
    MCP_UPSTREAM_URL: server.url,
    MCP_UPSTREAM_NAME: "modern",
    MCP_HEALTH_CACHE_MS: "0",
  });
});

afterAll(async () => {
  await sidecar?.close();
  await server?.close();
});

/** One conversation with the SDK 2.x client: tools, a tool error, a multi round-trip call, a listen stream. */
async function converse(base: string) {
  // "auto": probe with server/discover and speak 2026-07-28 where the server does.
  const client = new Client(
    { name: "mcpscope-test", version: "1.0.0" },
    { capabilities: { elicitation: { form: {} } }, versionNegotiation: { mode: "auto" } },
  );
  client.setRequestHandler("elicitation/create", async () => ({ action: "accept", content: { confirm: true } }));
  await client.connect(new StreamableHTTPClientTransport(new URL(`${base}/mcp`)));
  const version = client.getNegotiatedProtocolVersion();
  const tools = (await client.listTools()).tools.map((t) => t.name).sort();
  const echoes = [
    await client.callTool({ name: "echo", arguments: { message: "one" } }),
    await client.callTool({ name: "echo", arguments: { message: "two" } }),
  ];
  const failed = await client.callTool({ name: "fail", arguments: {} });
  const confirmed = await client.callTool({ name: "confirm", arguments: { action: "deploy" } });
  const changed = new Promise<void>((resolve) =>
    client.setNotificationHandler("notifications/tools/list_changed", () => resolve()),
  );
  const subscription = await client.listen({ toolsListChanged: true });
  server.notifyToolsChanged();
  await changed;
  await subscription.close();
  const closed = await subscription.closed;
  await client.close();
  return { version, tools, echoes, failed, confirmed, honored: subscription.honoredFilter, closed };
}

describe("a server that speaks only 2026-07-28, through the sidecar", () => {
  it("reports the server up by server/discover, naming the revisions it speaks", async () => {
    const response = await request(`${sidecar.proxyUrl}/health`);
    expect(response.statusCode).toBe(200);
    expect(await response.body.json()).toMatchObject({
      status: "ok",
      upstream: { reachable: true, probe: "server/discover", protocolVersions: ["2026-07-28"] },
    });
    const points = await readMetrics(sidecar.metricsUrl);
    expect(sampleValue(points, "mcp_upstream_up", { server_name: "modern" })).toBe(1);
  });

  it("gives the SDK 2.x client the same results as the server does directly, and counts them exactly", async () => {
    const before = await readMetrics(sidecar.metricsUrl);
    const direct = await converse(server.url);
    const proxied = await converse(sidecar.proxyUrl);
    expect(proxied).toEqual(direct);
    expect(proxied.version).toBe("2026-07-28");
    expect(proxied.confirmed).toMatchObject({ content: [{ type: "text", text: "deploy: done" }] });
    expect(proxied.failed).toMatchObject({ isError: true });

    const after = await readMetrics(sidecar.metricsUrl);
    const delta = (name: string, labels: Record<string, string>) =>
      sampleValue(after, name, labels) - sampleValue(before, name, labels);
    // Two echoes and the retried confirm succeed; the first confirm asked for input: neither ok nor error.
    expect(delta("mcp_tool_calls_total", { tool_name: "echo", status: "ok" })).toBe(2);
    expect(delta("mcp_tool_calls_total", { tool_name: "confirm", status: "input_required" })).toBe(1);
    expect(delta("mcp_tool_calls_total", { tool_name: "confirm", status: "ok" })).toBe(1);
    expect(delta("mcp_tool_calls_total", { tool_name: "fail", status: "error", error_type: "tool_error" })).toBe(1);
    expect(delta("mcp_requests_total", { method: "tools/list", status: "ok" })).toBe(1);
    // The listen stream counts once, as ok when acknowledged; closing it is normal, not an error.
    expect(delta("mcp_requests_total", { method: "subscriptions/listen", status: "ok" })).toBe(1);
    expect(delta("mcp_requests_total", { method: "subscriptions/listen", status: "error" })).toBe(0);
    expect(delta("mcp_requests_total", { method: "other" })).toBe(0);
    expect(delta("mcp_sidecar_errors_total", {})).toBe(0);
    // Its lifetime is a stream's, not a request latency.
    expect(delta("mcp_stream_duration_seconds_count", { kind: "listen" })).toBe(1);
    expect(sampleValue(after, "mcp_streams_active", { kind: "listen" })).toBe(0);
    // No sessions exist in this revision.
    expect(delta("mcp_server_session_duration_count", {})).toBe(0);
    expect(
      delta("mcp_server_operation_duration_count", {
        mcp_method_name: "tools/call",
        mcp_protocol_version: "2026-07-28",
        network_transport: "tcp",
      }),
    ).toBe(5);
  });
});
