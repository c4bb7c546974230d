import { afterEach, describe, expect, it } from "vitest";
import { createMcpInstruments } from "../telemetry/instruments.js";
import { SidecarErrorReason } from "../telemetry/semconv.js";
import { inMemoryMetrics, pointsOf } from "../testing/in-memory-metrics.js";
import {
  ExchangeObserver,
  type ExchangeStart,
  type ObserverOptions,
  type ResponseEnding,
} from "./exchange-observer.js";

const enc = (text: string) => new TextEncoder().encode(text);
const json = (value: unknown) => enc(JSON.stringify(value));
const sse = (...messages: unknown[]) =>
  enc(messages.map((m) => `event: message\ndata: ${JSON.stringify(m)}\n\n`).join(""));

function setup(overrides: Partial<ObserverOptions> = {}) {
  const metrics = inMemoryMetrics();
  let clock = 1_000;
  const observer = new ExchangeObserver({
    instruments: createMcpInstruments(metrics.meter, "weather"),
    now: () => clock,
    maxToolNames: 10,
    maxObservedBytes: 1024 * 1024,
    maxPendingRequests: 100,
    sessionIdleTimeoutMs: 60_000,
    ...overrides,
  });
  return {
    metrics,
    observer,
    advance: (ms: number) => {
      clock += ms;
    },
  };
}

/** One JSON exchange: request body in, JSON body out. */
function jsonExchange(
  observer: ExchangeObserver,
  request: unknown,
  response: unknown,
  statusCode = 200,
  sessionId?: string,
) {
  const exchange = observer.begin({
    httpMethod: "POST",
    sessionId,
    legacySessionId: undefined,
    body: json(request),
  });
  exchange.responseHead({
    statusCode,
    contentType: "application/json",
    sessionId: undefined,
  });
  exchange.responseChunk(json(response));
  exchange.responseEnd();
}

/** Starts an exchange: a POST with a JSON-RPC body unless told otherwise. */
function begin(observer: ExchangeObserver, body: unknown, start: Partial<ExchangeStart> = {}) {
  return observer.begin({
    httpMethod: "POST",
    sessionId: undefined,
    legacySessionId: undefined,
    body: body === undefined ? undefined : json(body),
    ...start,
  });
}

/** One exchange answered as an SSE stream: each event in turn, then the end (as it ended). */
function sseExchange(
  observer: ExchangeObserver,
  request: unknown,
  events: unknown[],
  options: { start?: Partial<ExchangeStart>; ending?: ResponseEnding; statusCode?: number } = {},
) {
  const exchange = begin(observer, request, options.start);
  exchange.responseHead({
    statusCode: options.statusCode ?? 200,
    contentType: "text/event-stream",
    sessionId: undefined,
  });
  for (const event of events) exchange.responseChunk(sse(event));
  exchange.responseEnd(options.ending);
  return exchange;
}

let shutdown: (() => Promise<void>) | undefined;
afterEach(async () => {
  await shutdown?.();
});

describe("ExchangeObserver", () => {
  it("labels tool calls with names announced in tools/list and folds others into other", async () => {
    const { metrics, observer } = setup();
    shutdown = metrics.shutdown;
    jsonExchange(
      observer,
      { jsonrpc: "2.0", id: 1, method: "tools/list" },
      { jsonrpc: "2.0", id: 1, result: { tools: [{ name: "echo" }] } },
    );
    jsonExchange(
      observer,
      { jsonrpc: "2.0", id: 2, method: "tools/call", params: { name: "echo" } },
      { jsonrpc: "2.0", id: 2, result: { content: [] } },
    );
    jsonExchange(
      observer,
      {
        jsonrpc: "2.0",
        id: 3,
        method: "tools/call",
        params: { name: "made-up" },
      },
      { jsonrpc: "2.0", id: 3, result: { content: [] } },
    );
    const points = await metrics.collect();
    expect(pointsOf(points, "mcp_tool_calls")).toEqual([
      {
        attributes: { server_name: "weather", tool_name: "echo", status: "ok" },
        value: 1,
      },
      {
        attributes: {
          server_name: "weather",
          tool_name: "other",
          status: "ok",
        },
        value: 1,
      },
    ]);
    expect(pointsOf(points, "mcp_requests")).toEqual([
      {
        attributes: {
          server_name: "weather",
          method: "tools/call",
          status: "ok",
        },
        value: 2,
      },
      {
        attributes: {
          server_name: "weather",
          method: "tools/list",
          status: "ok",
        },
        value: 1,
      },
    ]);
  });

  it("counts a JSON-RPC error inside HTTP 200 as status=error, error_type by name, the code as rpc.response.status_code", async () => {
    const { metrics, observer } = setup();
    shutdown = metrics.shutdown;
    jsonExchange(
      observer,
      { jsonrpc: "2.0", id: 1, method: "prompts/get" },
      { jsonrpc: "2.0", id: 1, error: { code: -32602, message: "bad" } },
    );
    const points = await metrics.collect();
    expect(pointsOf(points, "mcp_requests")).toEqual([
      {
        attributes: {
          server_name: "weather",
          method: "prompts/get",
          status: "error",
          error_type: "invalid_params",
        },
        value: 1,
      },
    ]);
    expect(pointsOf(points, "mcp.server.operation.duration")).toEqual([
      {
        attributes: {
          server_name: "weather",
          "mcp.method.name": "prompts/get",
          // A caller's mistake: recorded, but not a server error (OTel MCP conventions).
          "rpc.response.status_code": "-32602",
        },
        value: 1,
      },
    ]);
  });

  it("counts a tool result with isError: true as tool_error, without the tool on the semconv histogram by default", async () => {
    const { metrics, observer } = setup();
    shutdown = metrics.shutdown;
    jsonExchange(
      observer,
      { jsonrpc: "2.0", id: 1, method: "tools/call", params: { name: "x" } },
      { jsonrpc: "2.0", id: 1, result: { isError: true, content: [] } },
    );
    expect(pointsOf(await metrics.collect(), "mcp.server.operation.duration")).toEqual([
      {
        attributes: { server_name: "weather", "mcp.method.name": "tools/call", "error.type": "tool_error" },
        value: 1,
      },
    ]);
  });

  it("measures duration until the response event inside an SSE stream, not until the stream ends", async () => {
    const { metrics, observer, advance } = setup();
    shutdown = metrics.shutdown;
    const exchange = observer.begin({
      httpMethod: "POST",
      sessionId: "s1",
      legacySessionId: undefined,
      body: json({
        jsonrpc: "2.0",
        id: 9,
        method: "tools/call",
        params: { name: "slow" },
      }),
    });
    advance(5);
    exchange.responseHead({
      statusCode: 200,
      contentType: "text/event-stream",
      sessionId: undefined,
    });
    advance(100);
    exchange.responseChunk(
      sse({
        jsonrpc: "2.0",
        method: "notifications/progress",
        params: { progress: 1, progressToken: 1 },
      }),
    );
    advance(145);
    exchange.responseChunk(sse({ jsonrpc: "2.0", id: 9, result: { content: [] } }));
    advance(10_000);
    exchange.responseEnd();
    const histogram = (await metrics.collect()).find((p) => p.name === "mcp_request_duration_seconds");
    expect(histogram).toMatchObject({
      value: 1,
      sum: 0.25,
      attributes: { server_name: "weather", method: "tools/call" },
    });
  });

  it("records every request of a batch, and the notification in it by HTTP status", async () => {
    const { metrics, observer } = setup();
    shutdown = metrics.shutdown;
    jsonExchange(
      observer,
      [
        { jsonrpc: "2.0", id: 1, method: "ping" },
        { jsonrpc: "2.0", id: "b", method: "resources/list" },
        { jsonrpc: "2.0", method: "notifications/cancelled" },
      ],
      [
        { jsonrpc: "2.0", id: "b", result: { resources: [] } },
        { jsonrpc: "2.0", id: 1, result: {} },
      ],
    );
    expect(pointsOf(await metrics.collect(), "mcp_requests")).toEqual([
      {
        attributes: {
          server_name: "weather",
          method: "notifications/cancelled",
          status: "ok",
        },
        value: 1,
      },
      {
        attributes: { server_name: "weather", method: "ping", status: "ok" },
        value: 1,
      },
      {
        attributes: {
          server_name: "weather",
          method: "resources/list",
          status: "ok",
        },
        value: 1,
      },
    ]);
  });

  it("uses the JSON-RPC error code of an id-null error on an HTTP 400", async () => {
    const { metrics, observer } = setup();
    shutdown = metrics.shutdown;
    jsonExchange(
      observer,
      { jsonrpc: "2.0", id: 1, method: "tools/list" },
      {
        jsonrpc: "2.0",
        id: null,
        error: { code: -32000, message: "No valid session ID" },
      },
      400,
      "gone",
    );
    expect(pointsOf(await metrics.collect(), "mcp.server.operation.duration")).toEqual([
      {
        attributes: {
          server_name: "weather",
          "mcp.method.name": "tools/list",
          "error.type": "-32000",
          "rpc.response.status_code": "-32000",
        },
        value: 1,
      },
    ]);
  });

  it("uses the HTTP status as error.type when an error body is not JSON-RPC", async () => {
    const { metrics, observer } = setup();
    shutdown = metrics.shutdown;
    const exchange = observer.begin({
      httpMethod: "POST",
      sessionId: undefined,
      legacySessionId: undefined,
      body: json({ jsonrpc: "2.0", id: 1, method: "ping" }),
    });
    exchange.responseHead({
      statusCode: 503,
      contentType: "text/html",
      sessionId: undefined,
    });
    exchange.responseChunk(enc("<h1>down</h1>"));
    exchange.responseEnd();
    expect(pointsOf(await metrics.collect(), "mcp.server.operation.duration")).toEqual([
      {
        attributes: {
          server_name: "weather",
          "mcp.method.name": "ping",
          "error.type": "503",
        },
        value: 1,
      },
    ]);
  });

  it("counts a body that is not JSON-RPC as method=invalid and as a malformed_jsonrpc sidecar error", async () => {
    const { metrics, observer } = setup();
    shutdown = metrics.shutdown;
    const exchange = observer.begin({
      httpMethod: "POST",
      sessionId: undefined,
      legacySessionId: undefined,
      body: enc("{oops"),
    });
    exchange.responseHead({
      statusCode: 400,
      contentType: "application/json",
      sessionId: undefined,
    });
    exchange.responseChunk(
      json({
        jsonrpc: "2.0",
        id: null,
        error: { code: -32700, message: "Parse error" },
      }),
    );
    exchange.responseEnd();
    const points = await metrics.collect();
    expect(pointsOf(points, "mcp.server.operation.duration")).toEqual([
      {
        attributes: {
          server_name: "weather",
          "mcp.method.name": "invalid",
          "rpc.response.status_code": "-32700",
        },
        value: 1,
      },
    ]);
    expect(pointsOf(points, "mcp_sidecar_errors")).toEqual([
      {
        attributes: { server_name: "weather", reason: "malformed_jsonrpc" },
        value: 1,
      },
    ]);
  });

  it("records a request whose stream ended without an answer as no_response", async () => {
    const { metrics, observer } = setup();
    shutdown = metrics.shutdown;
    sseExchange(observer, { jsonrpc: "2.0", id: 1, method: "tools/call", params: { name: "t" } }, [], {
      start: { sessionId: "s" },
    });
    const points = await metrics.collect();
    expect(pointsOf(points, "mcp_requests")).toEqual([
      {
        attributes: {
          server_name: "weather",
          method: "tools/call",
          status: "error",
          error_type: "no_response",
        },
        value: 1,
      },
    ]);
    expect(pointsOf(points, "mcp_sidecar_errors")).toEqual([
      {
        attributes: { server_name: "weather", reason: "no_response" },
        value: 1,
      },
    ]);
  });

  it("opens a session on the Mcp-Session-Id of a response and closes it on DELETE", async () => {
    const { metrics, observer, advance } = setup();
    shutdown = metrics.shutdown;
    const init = observer.begin({
      httpMethod: "POST",
      sessionId: undefined,
      legacySessionId: undefined,
      body: json({ jsonrpc: "2.0", id: 0, method: "initialize" }),
    });
    init.responseHead({
      statusCode: 200,
      contentType: "application/json",
      sessionId: "abc",
    });
    init.responseEnd();
    expect(pointsOf(await metrics.collect(), "mcp_sessions_active")).toEqual([
      { attributes: { server_name: "weather" }, value: 1 },
    ]);
    advance(30_000);
    const del = observer.begin({
      httpMethod: "DELETE",
      sessionId: "abc",
      legacySessionId: undefined,
      body: undefined,
    });
    del.responseHead({
      statusCode: 200,
      contentType: undefined,
      sessionId: undefined,
    });
    del.responseEnd();
    const points = await metrics.collect();
    expect(pointsOf(points, "mcp_sessions_active")).toEqual([{ attributes: { server_name: "weather" }, value: 0 }]);
    expect(points.find((p) => p.name === "mcp.server.session.duration")).toMatchObject({ value: 1, sum: 30 });
  });

  it("follows a legacy HTTP+SSE session: endpoint event, POST 202, response on the GET stream", async () => {
    const { metrics, observer, advance } = setup();
    shutdown = metrics.shutdown;
    const stream = observer.begin({
      httpMethod: "GET",
      sessionId: undefined,
      legacySessionId: undefined,
      body: undefined,
    });
    stream.responseHead({
      statusCode: 200,
      contentType: "text/event-stream",
      sessionId: undefined,
    });
    stream.responseChunk(enc("event: endpoint\ndata: /message?sessionId=L1\n\n"));
    const post = observer.begin({
      httpMethod: "POST",
      sessionId: undefined,
      legacySessionId: "L1",
      body: json({ jsonrpc: "2.0", id: 4, method: "ping" }),
    });
    post.responseHead({
      statusCode: 202,
      contentType: "text/plain",
      sessionId: undefined,
    });
    post.responseChunk(enc("Accepted"));
    post.responseEnd();
    advance(20);
    stream.responseChunk(sse({ jsonrpc: "2.0", id: 4, result: {} }));
    let points = await metrics.collect();
    expect(pointsOf(points, "mcp_requests")).toEqual([
      {
        attributes: { server_name: "weather", method: "ping", status: "ok" },
        value: 1,
      },
    ]);
    expect(points.find((p) => p.name === "mcp_request_duration_seconds")).toMatchObject({ sum: 0.02 });
    expect(pointsOf(points, "mcp_sessions_active")).toEqual([{ attributes: { server_name: "weather" }, value: 1 }]);
    stream.responseEnd();
    points = await metrics.collect();
    expect(pointsOf(points, "mcp_sessions_active")).toEqual([{ attributes: { server_name: "weather" }, value: 0 }]);
  });

  it("records an exchange the sidecar answered itself with the given error type", async () => {
    const { metrics, observer } = setup();
    shutdown = metrics.shutdown;
    const exchange = observer.begin({
      httpMethod: "POST",
      sessionId: undefined,
      legacySessionId: undefined,
      body: json({
        jsonrpc: "2.0",
        id: 1,
        method: "tools/call",
        params: { name: "x" },
      }),
    });
    exchange.answeredBySidecar(SidecarErrorReason.upstreamUnreachable, "upstream_unreachable");
    exchange.responseEnd();
    const points = await metrics.collect();
    expect(pointsOf(points, "mcp_tool_calls")).toEqual([
      {
        attributes: {
          server_name: "weather",
          tool_name: "other",
          status: "error",
          error_type: "upstream_unreachable",
        },
        value: 1,
      },
    ]);
    expect(pointsOf(points, "mcp_sidecar_errors")).toEqual([
      {
        attributes: { server_name: "weather", reason: "upstream_unreachable" },
        value: 1,
      },
    ]);
  });

  it("ends idle sessions and gives up on old unanswered requests when swept", async () => {
    const { metrics, observer, advance } = setup({
      sessionIdleTimeoutMs: 1_000,
    });
    shutdown = metrics.shutdown;
    const init = observer.begin({
      httpMethod: "POST",
      sessionId: undefined,
      legacySessionId: undefined,
      body: undefined,
    });
    init.responseHead({
      statusCode: 200,
      contentType: "application/json",
      sessionId: "idle",
    });
    init.responseEnd();
    const legacy = observer.begin({
      httpMethod: "POST",
      sessionId: undefined,
      legacySessionId: "L",
      body: json({ jsonrpc: "2.0", id: 1, method: "ping" }),
    });
    legacy.responseHead({
      statusCode: 202,
      contentType: undefined,
      sessionId: undefined,
    });
    legacy.responseEnd();
    expect(observer.pendingRequests).toBe(1);
    advance(1_001);
    observer.sweep();
    expect(observer.openSessions).toBe(0);
    expect(observer.pendingRequests).toBe(0);
    expect(pointsOf(await metrics.collect(), "mcp_requests")).toEqual([
      {
        attributes: { server_name: "weather", method: "ping", status: "error", error_type: "no_response" },
        value: 1,
      },
    ]);
  });

  it("stops learning tool names past the limit", async () => {
    const { metrics, observer } = setup({ maxToolNames: 2 });
    shutdown = metrics.shutdown;
    jsonExchange(
      observer,
      { jsonrpc: "2.0", id: 1, method: "tools/list" },
      {
        jsonrpc: "2.0",
        id: 1,
        result: { tools: [{ name: "a" }, { name: "b" }, { name: "c" }] },
      },
    );
    for (const [id, name] of [
      [2, "a"],
      [3, "c"],
    ] as const) {
      jsonExchange(
        observer,
        { jsonrpc: "2.0", id, method: "tools/call", params: { name } },
        { jsonrpc: "2.0", id, result: {} },
      );
    }
    expect(pointsOf(await metrics.collect(), "mcp_tool_calls").map((p) => p.attributes.tool_name)).toEqual([
      "a",
      "other",
    ]);
  });

  it("does not confuse the same id used in two sessions", async () => {
    const { metrics, observer, advance } = setup();
    shutdown = metrics.shutdown;
    const a = observer.begin({
      httpMethod: "POST",
      sessionId: "A",
      legacySessionId: undefined,
      body: json({ jsonrpc: "2.0", id: 1, method: "ping" }),
    });
    const b = observer.begin({
      httpMethod: "POST",
      sessionId: "B",
      legacySessionId: undefined,
      body: json({ jsonrpc: "2.0", id: 1, method: "tools/list" }),
    });
    advance(10);
    b.responseHead({
      statusCode: 200,
      contentType: "application/json",
      sessionId: undefined,
    });
    b.responseChunk(json({ jsonrpc: "2.0", id: 1, result: { tools: [] } }));
    b.responseEnd();
    a.responseHead({
      statusCode: 200,
      contentType: "application/json",
      sessionId: undefined,
    });
    a.responseChunk(json({ jsonrpc: "2.0", id: 1, error: { code: -1, message: "x" } }));
    a.responseEnd();
    expect(pointsOf(await metrics.collect(), "mcp_requests")).toEqual([
      {
        // −1 is no code MCP defines: folded into "other", so upstreams cannot mint label values.
        attributes: { server_name: "weather", method: "ping", status: "error", error_type: "other" },
        value: 1,
      },
      {
        attributes: {
          server_name: "weather",
          method: "tools/list",
          status: "ok",
        },
        value: 1,
      },
    ]);
  });

  it("counts a subscriptions/listen stream once, as ok at its acknowledgement; closing it is no error", async () => {
    const { metrics, observer, advance } = setup();
    shutdown = metrics.shutdown;
    const listen = { jsonrpc: "2.0", id: 7, method: "subscriptions/listen", params: { notifications: {} } };
    const exchange = begin(observer, listen);
    advance(3);
    exchange.responseHead({ statusCode: 200, contentType: "text/event-stream", sessionId: undefined });
    exchange.responseChunk(
      sse({
        jsonrpc: "2.0",
        method: "notifications/subscriptions/acknowledged",
        params: { notifications: {}, _meta: { "io.modelcontextprotocol/subscriptionId": 7 } },
      }),
    );
    advance(60_000);
    exchange.responseChunk(sse({ jsonrpc: "2.0", method: "notifications/tools/list_changed" }));
    exchange.responseEnd("client_closed");
    const points = await metrics.collect();
    expect(pointsOf(points, "mcp_requests")).toEqual([
      { attributes: { server_name: "weather", method: "subscriptions/listen", status: "ok" }, value: 1 },
    ]);
    // Time to the acknowledgement is the request's latency; the stream's life is a stream's.
    expect(points.find((p) => p.name === "mcp_request_duration_seconds")).toMatchObject({ sum: 0.003 });
    expect(points.find((p) => p.name === "mcp_stream_duration_seconds")).toMatchObject({
      sum: 60,
      attributes: { server_name: "weather", kind: "listen" },
    });
    expect(pointsOf(points, "mcp_sidecar_errors")).toEqual([]);
  });

  it("counts an input_required result as input_required, then the retried call as ok", async () => {
    const { metrics, observer } = setup();
    shutdown = metrics.shutdown;
    const call = (id: number) => ({ jsonrpc: "2.0", id, method: "tools/call", params: { name: "confirm" } });
    jsonExchange(observer, call(1), {
      jsonrpc: "2.0",
      id: 1,
      result: { resultType: "input_required", inputRequests: {} },
    });
    jsonExchange(observer, call(2), { jsonrpc: "2.0", id: 2, result: { resultType: "complete", content: [] } });
    expect(pointsOf(await metrics.collect(), "mcp_requests")).toEqual([
      { attributes: { server_name: "weather", method: "tools/call", status: "input_required" }, value: 1 },
      { attributes: { server_name: "weather", method: "tools/call", status: "ok" }, value: 1 },
    ]);
  });

  it("tells a client that left (cancelled), an upstream that broke the stream and a 200 that is not JSON-RPC apart", async () => {
    const { metrics, observer } = setup();
    shutdown = metrics.shutdown;
    const call = (id: number) => ({ jsonrpc: "2.0", id, method: "resources/read", params: { uri: "x" } });
    sseExchange(observer, call(1), [], { ending: "client_closed" });
    sseExchange(observer, call(2), [], { ending: "upstream_failed" });
    const exchange = begin(observer, call(3));
    exchange.responseHead({ statusCode: 200, contentType: "application/json", sessionId: undefined });
    exchange.responseChunk(enc("<html>oops</html>"));
    exchange.responseEnd();
    begin(observer, call(4)).clientClosed();
    const points = await metrics.collect();
    expect(pointsOf(points, "mcp_requests")).toEqual([
      { attributes: { server_name: "weather", method: "resources/read", status: "cancelled" }, value: 2 },
      {
        attributes: {
          server_name: "weather",
          method: "resources/read",
          status: "error",
          error_type: "invalid_response",
        },
        value: 1,
      },
      {
        attributes: {
          server_name: "weather",
          method: "resources/read",
          status: "error",
          error_type: "upstream_broken",
        },
        value: 1,
      },
    ]);
    expect(pointsOf(points, "mcp_sidecar_errors")).toEqual([
      { attributes: { server_name: "weather", reason: "invalid_response" }, value: 1 },
      { attributes: { server_name: "weather", reason: "upstream_broken" }, value: 1 },
    ]);
    // A cancelled request measured nothing about the server.
    expect(points.find((p) => p.name === "mcp_request_duration_seconds")?.value).toBe(2);
  });
});
