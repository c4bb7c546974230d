import { InMemorySpanExporter, SimpleSpanProcessor, TracerProvider } from "@opentelemetry/sdk-trace";
import { afterEach, describe, expect, it } from "vitest";
import { estimateTokens } from "../context/token-estimate.js";
import { createMcpInstruments } from "../telemetry/instruments.js";
import { ContextMetricName } from "../telemetry/semconv.js";
import { createMcpTracer } from "../telemetry/spans.js";
import { inMemoryMetrics, pointsOf } from "../testing/in-memory-metrics.js";
import { ExchangeObserver, type ExchangeStart, type ObserverOptions } from "./exchange-observer.js";

// What a server's catalogue, instructions and tool results cost a model's context, as the observer
// records them from the exchanges it sees.

const enc = (text: string) => new TextEncoder().encode(text);
const sse = (...messages: unknown[]) =>
  enc(messages.map((m) => `event: message\ndata: ${JSON.stringify(m)}\n\n`).join(""));

function setup(overrides: Partial<ObserverOptions> = {}) {
  const metrics = inMemoryMetrics();
  shutdown = metrics.shutdown;
  const observer = new ExchangeObserver({
    instruments: createMcpInstruments(metrics.meter, "weather"),
    now: () => 1_000,
    maxToolNames: 10,
    maxObservedBytes: 1024 * 1024,
    maxPendingRequests: 100,
    sessionIdleTimeoutMs: 60_000,
    ...overrides,
  });
  return { metrics, observer };
}

let nextId = 1;
/** One request answered in a JSON body; returns the result it was answered with. */
function exchange(
  observer: ExchangeObserver,
  method: string,
  params: unknown,
  result: unknown,
  start: Partial<ExchangeStart> = {},
) {
  const id = nextId++;
  const request = { jsonrpc: "2.0", id, method, params };
  const observed = observer.begin({
    httpMethod: "POST",
    sessionId: undefined,
    legacySessionId: undefined,
    body: enc(JSON.stringify(request)),
    ...start,
  });
  observed.responseHead({ statusCode: 200, contentType: "application/json", sessionId: undefined });
  observed.responseChunk(enc(JSON.stringify({ jsonrpc: "2.0", id, result })));
  observed.responseEnd();
}

const tool = (name: string, description = `Gets the ${name} for a city`) => ({
  name,
  description,
  inputSchema: { type: "object", properties: { city: { type: "string" } }, required: ["city"] },
});

async function catalogueGauges(metrics: ReturnType<typeof inMemoryMetrics>) {
  const points = await metrics.collect();
  const single = (name: string) => pointsOf(points, name).map((p) => p.value);
  return {
    listed: single(ContextMetricName.toolsListed),
    bytes: single(ContextMetricName.toolsListBytes),
    tokens: single(ContextMetricName.toolsListTokens),
    definitions: Object.fromEntries(
      pointsOf(points, ContextMetricName.toolDefinitionTokens).map((p) => [p.attributes.tool_name, p.value]),
    ),
  };
}

function expectedCatalogue(tools: unknown[]) {
  const whole = JSON.stringify(tools);
  return { listed: [tools.length], bytes: [Buffer.byteLength(whole)], tokens: [estimateTokens(whole)] };
}

let shutdown: (() => Promise<void>) | undefined;
afterEach(async () => {
  await shutdown?.();
  shutdown = undefined;
});

describe("context cost: tool catalogues", () => {
  it("records a one-page tools/list: tools, bytes and tokens of the tools array, tokens of each definition", async () => {
    const { metrics, observer } = setup();
    const tools = [tool("weather"), tool("forecast")];
    exchange(observer, "tools/list", {}, { tools });
    expect(await catalogueGauges(metrics)).toEqual({
      ...expectedCatalogue(tools),
      definitions: Object.fromEntries(tools.map((t) => [t.name, estimateTokens(JSON.stringify(t))])),
    });
  });

  it("follows nextCursor across exchanges of one session, not mixing another session's list", async () => {
    const { metrics, observer } = setup();
    const alice = { sessionId: "alice" };
    const bob = { sessionId: "bob" };
    exchange(observer, "tools/list", {}, { tools: [tool("a"), tool("b")], nextCursor: "2" }, alice);
    exchange(observer, "tools/list", {}, { tools: [tool("x")], nextCursor: "2" }, bob);
    expect((await catalogueGauges(metrics)).listed).toEqual([]);
    exchange(observer, "tools/list", { cursor: "2" }, { tools: [tool("c")] }, alice);
    expect(await catalogueGauges(metrics)).toMatchObject(expectedCatalogue([tool("a"), tool("b"), tool("c")]));
    exchange(observer, "tools/list", { cursor: "2" }, { tools: [tool("y")] }, bob);
    expect(await catalogueGauges(metrics)).toMatchObject(expectedCatalogue([tool("x"), tool("y")]));
  });

  it("chains the pages of the stateless protocol (no session) by cursor", async () => {
    const { metrics, observer } = setup();
    const meta = { _meta: { "io.modelcontextprotocol/protocolVersion": "2026-07-28" } };
    exchange(observer, "tools/list", meta, { tools: [tool("a")], nextCursor: "c1" });
    exchange(observer, "tools/list", { ...meta, cursor: "c1" }, { tools: [tool("b")], nextCursor: "c2" });
    exchange(observer, "tools/list", { ...meta, cursor: "c2" }, { tools: [tool("c")] });
    expect(await catalogueGauges(metrics)).toMatchObject(expectedCatalogue([tool("a"), tool("b"), tool("c")]));
  });

  it("after tools/list_changed keeps the last complete list until the next one replaces it, tools gone included", async () => {
    const { metrics, observer } = setup();
    exchange(observer, "tools/list", {}, { tools: [tool("old"), tool("kept")] });
    // A list in progress when the tools change: its first page is from the old catalogue.
    exchange(observer, "tools/list", {}, { tools: [tool("old")], nextCursor: "2" });
    const stream = observer.begin({ httpMethod: "GET", sessionId: "s", legacySessionId: undefined, body: undefined });
    stream.responseHead({ statusCode: 200, contentType: "text/event-stream", sessionId: undefined });
    stream.responseChunk(sse({ jsonrpc: "2.0", method: "notifications/tools/list_changed" }));
    exchange(observer, "tools/list", { cursor: "2" }, { tools: [tool("new")] });
    const meanwhile = await catalogueGauges(metrics);
    expect(meanwhile).toMatchObject(expectedCatalogue([tool("old"), tool("kept")]));
    exchange(observer, "tools/list", {}, { tools: [tool("kept"), tool("new")] });
    const after = await catalogueGauges(metrics);
    expect(after).toMatchObject(expectedCatalogue([tool("kept"), tool("new")]));
    // A tool no longer listed costs nothing: 0 (the SDK cannot drop a series a cumulative gauge reported).
    expect(after.definitions).toEqual({
      old: 0,
      kept: estimateTokens(JSON.stringify(tool("kept"))),
      new: estimateTokens(JSON.stringify(tool("new"))),
    });
    stream.responseEnd();
  });

  it("bounds tool names as mcp_tool_calls_total does: definitions past the limit are summed as other", async () => {
    const { metrics, observer } = setup({ maxToolNames: 2 });
    const tools = [tool("a"), tool("b"), tool("c"), tool("d", "A much longer description of the d tool")];
    exchange(observer, "tools/list", {}, { tools });
    const cost = (t: unknown) => estimateTokens(JSON.stringify(t));
    expect((await catalogueGauges(metrics)).definitions).toEqual({
      a: cost(tools[0]),
      b: cost(tools[1]),
      other: cost(tools[2]) + cost(tools[3]),
    });
  });

  it("records the instructions of initialize and of server/discover", async () => {
    const { metrics, observer } = setup();
    const tokensOf = async () =>
      pointsOf(await metrics.collect(), ContextMetricName.instructionsTokens).map((p) => p.value);
    exchange(observer, "initialize", { protocolVersion: "2025-11-25" }, { protocolVersion: "2025-11-25" });
    expect(await tokensOf()).toEqual([]);
    const first = "Use get_forecast for anything beyond today.";
    exchange(observer, "initialize", { protocolVersion: "2025-11-25" }, { instructions: first });
    expect(await tokensOf()).toEqual([estimateTokens(first)]);
    const second = "Weather tools for every city in the world; prefer metric units unless asked otherwise.";
    exchange(observer, "server/discover", {}, { supportedVersions: ["2026-07-28"], instructions: second });
    expect(await tokensOf()).toEqual([estimateTokens(second)]);
  });
});

describe("context cost: tool results", () => {
  it("records each result's tokens by tool, tool errors included, JSON-RPC errors and input_required not", async () => {
    const { metrics, observer } = setup();
    exchange(observer, "tools/list", {}, { tools: [tool("weather")] });
    const sunny = { content: [{ type: "text", text: "Sunny, 21 °C, light wind from the west" }] };
    const failed = { content: [{ type: "text", text: "no such city" }], isError: true };
    exchange(observer, "tools/call", { name: "weather" }, sunny);
    exchange(observer, "tools/call", { name: "weather" }, failed);
    exchange(observer, "tools/call", { name: "made-up" }, sunny);
    exchange(observer, "tools/call", { name: "weather" }, { resultType: "input_required", inputRequests: {} });
    const id = nextId++;
    const rpcError = observer.begin({
      httpMethod: "POST",
      sessionId: undefined,
      legacySessionId: undefined,
      body: enc(JSON.stringify({ jsonrpc: "2.0", id, method: "tools/call", params: { name: "weather" } })),
    });
    rpcError.responseHead({ statusCode: 200, contentType: "application/json", sessionId: undefined });
    rpcError.responseChunk(enc(JSON.stringify({ jsonrpc: "2.0", id, error: { code: -32602, message: "bad" } })));
    rpcError.responseEnd();

    const points = (await metrics.collect()).filter((p) => p.name === ContextMetricName.toolResultTokens);
    const byTool = Object.fromEntries(points.map((p) => [p.attributes.tool_name, { count: p.value, sum: p.sum }]));
    const tokens = (result: unknown) => estimateTokens(JSON.stringify(result));
    expect(byTool).toEqual({
      weather: { count: 2, sum: tokens(sunny) + tokens(failed) },
      other: { count: 1, sum: tokens(sunny) },
    });
  });

  it("records a result answered in the request's SSE stream", async () => {
    const { metrics, observer } = setup();
    exchange(observer, "tools/list", {}, { tools: [tool("weather")] });
    const result = { content: [{ type: "text", text: "Rain" }] };
    const id = nextId++;
    const observed = observer.begin({
      httpMethod: "POST",
      sessionId: "s",
      legacySessionId: undefined,
      body: enc(JSON.stringify({ jsonrpc: "2.0", id, method: "tools/call", params: { name: "weather" } })),
    });
    observed.responseHead({ statusCode: 200, contentType: "text/event-stream", sessionId: undefined });
    observed.responseChunk(sse({ jsonrpc: "2.0", id, result }));
    observed.responseEnd();
    const points = (await metrics.collect()).filter((p) => p.name === ContextMetricName.toolResultTokens);
    expect(points.map((p) => [p.attributes.tool_name, p.value, p.sum])).toEqual([
      ["weather", 1, estimateTokens(JSON.stringify(result))],
    ]);
  });

  it("puts the result's estimated tokens and bytes on the tools/call span", async () => {
    const exporter = new InMemorySpanExporter();
    const provider = new TracerProvider({ spanProcessors: [new SimpleSpanProcessor({ exporter })] });
    const { observer } = setup({ tracer: createMcpTracer(provider.getTracer("test"), "weather") });
    exchange(observer, "tools/list", {}, { tools: [tool("weather")] });
    const result = { content: [{ type: "text", text: "Température : 21 °C" }] };
    exchange(observer, "tools/call", { name: "weather" }, result);
    const spans = exporter.getFinishedSpans();
    const call = spans.find((s) => s.name === "tools/call weather");
    const list = spans.find((s) => s.name === "tools/list");
    expect(call?.attributes).toMatchObject({
      "mcpscope.tool.result.tokens": estimateTokens(JSON.stringify(result)),
      "mcpscope.tool.result.bytes": Buffer.byteLength(JSON.stringify(result)),
    });
    expect(list?.attributes["mcpscope.tool.result.tokens"]).toBeUndefined();
    await provider.shutdown();
  });
});

describe("context cost: off", () => {
  it("records none of it with contextCost false, and still bounds tool names by tools/list", async () => {
    const { metrics, observer } = setup({ contextCost: false });
    exchange(observer, "initialize", {}, { instructions: "Use the weather tool." });
    exchange(observer, "tools/list", {}, { tools: [tool("weather")] });
    exchange(observer, "tools/call", { name: "weather" }, { content: [{ type: "text", text: "Sunny" }] });
    const points = await metrics.collect();
    expect(points.filter((p) => (Object.values(ContextMetricName) as string[]).includes(p.name))).toEqual([]);
    expect(pointsOf(points, "mcp_tool_calls").map((p) => p.attributes.tool_name)).toEqual(["weather"]);
  });
});
