import { spawn } from "node:child_process";
import { fileURLToPath } from "node:url";
import {
  everythingStdioCommand,
  freePort,
  postInitialize,
  type RunningProcess,
  startEverythingServer,
  stopProcess,
} from "@mcpscope/sidecar/testing";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import { CallToolResultSchema } from "@modelcontextprotocol/sdk/types.js";
import { afterAll, beforeAll, describe, expect, inject, it, vi } from "vitest";
import { startControlPlane } from "./harness/control-plane.js";
import { jaegerServices, jaegerTrace, type RunningJaeger, startJaeger } from "./harness/jaeger.js";
import { type RunningCollector, startCollector } from "./harness/otelcol.js";
import { type ReceivedSpan, type RunningOtlpReceiver, startOtlpReceiver } from "./harness/otlp-receiver.js";
import { kubectlWith } from "./harness/programs.js";
import { type SidecarProcess, startSidecarProcess } from "./harness/sidecar-process.js";

// Spans from the sidecar, exported by the OpenTelemetry SDK (configured by the standard OTEL_* env)
// to the real Collector (the project's own build, the chart's config file), read as OTLP/JSON data by
// the test's own receiver the collector exports to, and from Jaeger v2 (the chart's optional trace
// store, with the collector's Jaeger overlay as the chart runs it) through its query API.

// Sidecars run as their own processes: the OpenTelemetry SDK reads the process environment.
type Sidecar = SidecarProcess;

let receiver: RunningOtlpReceiver;
let collector: RunningCollector;
let jaeger: RunningJaeger;
let upstream: RunningProcess;
let traced: Sidecar;
let stdio: Sidecar;

const tracingEnv = () => ({
  OTEL_EXPORTER_OTLP_ENDPOINT: collector.otlpHttpUrl,
  OTEL_EXPORTER_OTLP_PROTOCOL: "http/protobuf",
  OTEL_BSP_SCHEDULE_DELAY: "100",
});

beforeAll(async () => {
  jaeger = await startJaeger(inject("tools").JAEGER);
  receiver = await startOtlpReceiver();
  collector = await startCollector(
    inject("tools").OTELCOL,
    {},
    { jaegerOtlpGrpc: jaeger.otlpGrpcEndpoint, testReceiver: receiver.url },
  );
  upstream = await startEverythingServer("streamableHttp");
  traced = await startSidecarProcess({ ...tracingEnv(), MCP_UPSTREAM_URL: upstream.url, MCP_UPSTREAM_NAME: "weather" });
  stdio = await startSidecarProcess({
    ...tracingEnv(),
    MCP_UPSTREAM_COMMAND: everythingStdioCommand(),
    MCP_UPSTREAM_NAME: "notes-stdio",
  });
}, 60_000);

afterAll(async () => {
  await Promise.allSettled([traced?.stop(), stdio?.stop()]);
  await upstream?.stop();
  await collector?.stop();
  await jaeger?.stop();
  await receiver?.close();
});

async function connect(base: string) {
  const client = new Client({ name: "mcpscope-traces", version: "1.0.0" });
  const transport = new StreamableHTTPClientTransport(new URL(`${base}/mcp`));
  await client.connect(transport);
  await client.listTools();
  return { client, transport };
}

/** The spans matching `match` the collector has exported to the test's receiver, once there are `count`. */
function spansWhere(what: string, match: (s: ReceivedSpan) => boolean, count = 1): Promise<ReceivedSpan[]> {
  return vi.waitFor(
    () => {
      const found = receiver.spans().filter(match);
      if (found.length < count)
        throw new Error(`no span for ${what} reached the test's receiver through the collector`);
      return found;
    },
    { timeout: 20_000, interval: 200 },
  );
}

const traceparent = (traceId: string, spanId: string) => `00-${traceId}-${spanId}-01`;

/** One echo call in its own session, carrying the caller's span in params._meta. */
async function tracedEcho(base: string, message: string, traceId: string, callerSpanId: string) {
  const { client, transport } = await connect(base);
  const result = await client.callTool({
    name: "echo",
    arguments: { message },
    _meta: { traceparent: traceparent(traceId, callerSpanId) },
  });
  await transport.terminateSession();
  await client.close();
  return result;
}

describe("traces: one span per MCP request, joined to the caller's trace", { timeout: 60_000 }, () => {
  it("continues the trace named in params._meta.traceparent, with the MCP attributes", async () => {
    const traceId = "4bf92f3577b34da6a3ce929d0e0e4736";
    await tracedEcho(traced.proxyUrl, "traced", traceId, "00f067aa0ba902b7");
    const [span] = await spansWhere("the traced tools/call", (s) => s.traceId === traceId);
    expect(span).toMatchObject({
      parentId: "00f067aa0ba902b7",
      name: "tools/call echo",
      kind: "Server",
      statusCode: "Unset",
    });
    expect(span?.attributes).toMatchObject({
      "mcp.method.name": "tools/call",
      "gen_ai.tool.name": "echo",
      "gen_ai.operation.name": "execute_tool",
      server_name: "weather",
      "mcp.protocol.version": expect.stringMatching(/^2025-/),
      "network.transport": "tcp",
      "mcp.session.id": expect.any(String),
    });
    expect(span?.attributes["jsonrpc.request.id"]).toMatch(/^\d+$/);
    // Arguments and results are never recorded.
    expect(JSON.stringify(span)).not.toContain("traced");
  });

  it("lands in Jaeger: the span found through its query API, under the caller's span", async () => {
    const traceId = "6e0c63257de34c926f9efcd03919fb6e";
    await tracedEcho(traced.proxyUrl, "to jaeger", traceId, "53995c3f42cd8ad8");
    await expect
      .poll(async () => (await jaegerTrace(jaeger.queryUrl, traceId)).length, { timeout: 20_000, interval: 250 })
      .toBe(1);
    const spans = await jaegerTrace(jaeger.queryUrl, traceId);
    expect(spans).toHaveLength(1);
    expect(spans[0]).toMatchObject({
      operationName: "tools/call echo",
      parentSpanId: "53995c3f42cd8ad8",
      serviceName: "mcp-sidecar-weather",
      tags: {
        "mcp.method.name": "tools/call",
        "gen_ai.tool.name": "echo",
        server_name: "weather",
        "span.kind": "server",
      },
    });
    expect(await jaegerServices(jaeger.queryUrl)).toContain("mcp-sidecar-weather");
  });

  it("falls back to the HTTP traceparent header", async () => {
    const traceId = "0af7651916cd43dd8448eb211c80319c";
    const response = await postInitialize(traced.proxyUrl, {
      id: 1,
      headers: { traceparent: traceparent(traceId, "b7ad6b7169203331") },
    });
    await response.body.text();
    const [span] = await spansWhere("the initialize with an HTTP traceparent", (s) => s.traceId === traceId);
    expect(span).toMatchObject({ parentId: "b7ad6b7169203331", name: "initialize" });
  });

  it("marks tool errors and server faults ERROR, and caller mistakes not", async () => {
    const { client, transport } = await connect(traced.proxyUrl);
    const failing = "11111111111111111111111111111111";
    const mistake = "22222222222222222222222222222222";
    await client.callTool({
      name: "get-sum",
      arguments: { a: "not a number", b: 2 },
      _meta: { traceparent: traceparent(failing, "1111111111111111") },
    });
    // Unknown prompt: −32602, the caller's mistake. A tools/call without a name: −32603 from the server.
    await client
      .getPrompt({ name: "no-such-prompt", _meta: { traceparent: traceparent(mistake, "2222222222222222") } })
      .catch(() => undefined);
    const fault = "55555555555555555555555555555555";
    await client
      .request(
        {
          method: "tools/call",
          params: { arguments: {}, _meta: { traceparent: traceparent(fault, "5555555555555555") } },
        } as never,
        CallToolResultSchema,
      )
      .catch(() => undefined);
    await transport.terminateSession();
    await client.close();
    const [toolError] = await spansWhere("the failing tool call", (s) => s.traceId === failing);
    expect(toolError).toMatchObject({ statusCode: "Error", attributes: { "error.type": "tool_error" } });
    const [callerMistake] = await spansWhere("the unknown prompt", (s) => s.traceId === mistake);
    expect(callerMistake).toMatchObject({ name: "prompts/get no-such-prompt", statusCode: "Unset" });
    expect(callerMistake?.attributes).toMatchObject({
      "rpc.response.status_code": "-32602",
      "gen_ai.prompt.name": "no-such-prompt",
    });
    expect(callerMistake?.attributes["error.type"]).toBeUndefined();
    const [serverFault] = await spansWhere("the server's internal error", (s) => s.traceId === fault);
    expect(serverFault).toMatchObject({
      statusCode: "Error",
      attributes: { "error.type": "-32603", "rpc.response.status_code": "-32603" },
    });
  });

  it("traces stdio servers too (command mode), with network.transport=pipe", async () => {
    const traceId = "33333333333333333333333333333333";
    await tracedEcho(stdio.proxyUrl, "x", traceId, "3333333333333333");
    const [span] = await spansWhere("the stdio tool call", (s) => s.traceId === traceId);
    expect(span?.attributes).toMatchObject({ "network.transport": "pipe", server_name: "notes-stdio" });
  });

  it("exports nothing with OTEL_TRACES_EXPORTER=none, and serves as before", async () => {
    // Its OTLP endpoint is a receiver of its own: metrics go there, traces would.
    const own = await startOtlpReceiver();
    const untraced = await startSidecarProcess({
      OTEL_EXPORTER_OTLP_ENDPOINT: own.url,
      OTEL_EXPORTER_OTLP_PROTOCOL: "http/protobuf",
      OTEL_TRACES_EXPORTER: "none",
      MCP_UPSTREAM_URL: upstream.url,
      MCP_UPSTREAM_NAME: "untraced",
    });
    try {
      const result = await tracedEcho(
        untraced.proxyUrl,
        "quiet",
        "44444444444444444444444444444444",
        "4444444444444444",
      );
      expect(result).toEqual({ content: [{ type: "text", text: "Echo: quiet" }] });
      // A stopped sidecar has flushed everything it would ever export: its metrics arrived, no span did.
      await untraced.stop();
      expect(own.exports("/v1/metrics")).toBeGreaterThan(0);
      expect(own.exports("/v1/traces")).toBe(0);
    } finally {
      await untraced.stop();
      await own.close();
    }
  });

  it("traces the operator's reconciles too, when an OTLP endpoint is configured", { timeout: 120_000 }, async () => {
    const cp = await startControlPlane(inject("tools"));
    const operator = spawn(process.execPath, [fileURLToPath(new URL("../../operator/dist/main.js", import.meta.url))], {
      env: {
        PATH: process.env.PATH ?? "",
        KUBECONFIG: cp.kubeconfigPath,
        LEADER_ELECTION: "false",
        WEBHOOK_ENABLED: "false",
        HEALTH_PORT: String(await freePort()),
        METRICS_PORT: String(await freePort()),
        LOG_LEVEL: "warn",
        ...tracingEnv(),
      },
      stdio: ["ignore", "inherit", "inherit"],
    });
    try {
      const kubectl = kubectlWith(
        () => inject("tools").KUBECTL,
        () => cp.kubeconfigPath,
      );
      const crds = fileURLToPath(new URL("../../crds/", import.meta.url));
      expect((await kubectl(["apply", "-f", crds])).code).toBe(0);
      expect((await kubectl(["wait", "--for=condition=Established", "crd/mcpservers.mcpscope.dev"])).code).toBe(0);
      const applied = await kubectl(
        ["apply", "-f", "-"],
        "apiVersion: mcpscope.dev/v1alpha1\nkind: McpServer\nmetadata: { name: traced, namespace: default }\nspec:\n  server: { image: x }\n",
      );
      expect(applied.code).toBe(0);
      const [span] = await spansWhere(
        "the operator's reconcile",
        (s) => s.attributes["mcpscope.mcpserver"] === "traced",
      );
      expect(span).toMatchObject({
        name: "reconcile McpServer",
        attributes: { "k8s.namespace.name": "default", "mcpscope.outcome": "ok" },
      });
    } finally {
      await stopProcess(operator);
      await cp.stop();
    }
  });
});
