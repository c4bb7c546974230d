import type { EventSourceMessage } from "eventsource-parser";
import { type JsonCost, jsonCostOf } from "../context/json-cost.js";
import { estimateTokens } from "../context/token-estimate.js";
import { ToolCatalogueAssembler } from "../context/tool-catalogue.js";
import { errorTypeOfCode } from "../mcp/error-codes.js";
import { type JsonRpcMessage, parseJsonRpc } from "../mcp/jsonrpc.js";
import {
  invalidMethod,
  listenAcknowledgedMethod,
  listenMethod,
  methodOrOther,
  protocolVersionOrOther,
  subscriptionIdMetaKey,
  toolsListChangedMethod,
} from "../mcp/methods.js";
import {
  cancelled,
  cursorOfListRequest,
  instructionsOfResult,
  type Outcome,
  outcomeOfHttpStatus,
  outcomeOfResponse,
  sessionIdOfEndpointEvent,
  toolErrorType,
  toolNameOfCall,
  toolNamesOfListResult,
} from "../mcp/results.js";
import { createSseObserver, type SseObserver } from "../mcp/sse.js";
import type { McpInstruments, StreamKind } from "../telemetry/instruments.js";
import { SidecarErrorReason } from "../telemetry/semconv.js";
import type { McpTracer, TraceCarrier } from "../telemetry/spans.js";
import { type PendingRequest, PendingRequests } from "./pending-requests.js";
import { SessionTracker } from "./sessions.js";
import { ToolNameRegistry } from "./tool-names.js";

export interface ObserverOptions {
  instruments: McpInstruments;
  /** Monotonic milliseconds (performance.now in production; a counter in tests). */
  now: () => number;
  maxToolNames: number;
  /** Records the context-cost metrics (default true); off, tools/list still teaches tool names. */
  contextCost?: boolean;
  /** The most response bytes buffered to read a JSON body; larger bodies are counted by HTTP status only. */
  maxObservedBytes: number;
  maxPendingRequests: number;
  /** The most bytes of request ids and session ids the pending map holds (ids are client-chosen). */
  maxPendingKeyBytes?: number;
  sessionIdleTimeoutMs: number;
  /**
   * How long a request answered `202 Accepted` (legacy SSE: the answer comes on the session's stream)
   * is waited for; defaults to sessionIdleTimeoutMs.
   */
  acceptedTimeoutMs?: number;
  /** network.transport of the hop to the server: "tcp", or "pipe" for a stdio server. */
  networkTransport?: "tcp" | "pipe";
  /** Traces one span per JSON-RPC request when set (tracing on). */
  tracer?: McpTracer | undefined;
}

export interface ExchangeStart {
  httpMethod: string;
  /** Mcp-Session-Id request header (Streamable HTTP). */
  sessionId: string | undefined;
  /** sessionId query parameter (legacy HTTP+SSE POST /message). */
  legacySessionId: string | undefined;
  /** MCP-Protocol-Version request header. */
  protocolVersion?: string | undefined;
  /** W3C trace context of the HTTP request (traceparent, tracestate headers). */
  traceContext?: TraceCarrier | undefined;
  body: Uint8Array | undefined;
  /** When the request reached the sidecar, on the observer's clock (now()); defaults to now. */
  startedAt?: number | undefined;
}

export interface ResponseHead {
  statusCode: number;
  contentType: string | undefined;
  sessionId: string | undefined;
}

/** How a response stream ended: in full, because its client left, or because the upstream broke it. */
export type ResponseEnding = "complete" | "client_closed" | "upstream_failed";

/** The sidecar's view of one HTTP exchange. Every method is safe to call after the others fail. */
export interface ObservedExchange {
  responseHead(head: ResponseHead): void;
  responseChunk(chunk: Uint8Array): void;
  responseEnd(ending?: ResponseEnding): void;
  /** The sidecar answered itself (upstream down, body too large…). */
  answeredBySidecar(reason: SidecarErrorReason, errorType: string): void;
  /** The client left before any response head: its requests are cancelled, not failed. */
  clientClosed(): void;
}

const sseMaxEventBytes = 8 * 1024 * 1024;
const defaultMaxPendingKeyBytes = 16 * 1024 * 1024;

/**
 * Correlates JSON-RPC requests with their responses (in a JSON body, in the POST's SSE stream, or in
 * another stream of the same session) and turns them into metrics. No I/O: the proxy feeds it copies.
 * The proxy needs begin(), rejected() and observerFailed(); the rest is this module's own.
 */
export class ExchangeObserver {
  readonly #core: ObserverCore;

  constructor(options: ObserverOptions) {
    this.#core = new ObserverCore(options);
  }

  get openSessions(): number {
    return this.#core.sessions.size;
  }

  get pendingRequests(): number {
    return this.#core.pending.size;
  }

  /** The observer's clock (monotonic milliseconds), for an exchange begun after its request arrived. */
  now(): number {
    return this.#core.now();
  }

  begin(start: ExchangeStart): ObservedExchange {
    return new Exchange(this.#core, start);
  }

  /** Ends idle sessions and gives up on requests nobody answered; call periodically. */
  sweep(): void {
    this.#core.sweep();
  }

  /** A request the sidecar refused before reading it as JSON-RPC (e.g. a body over the limit). */
  rejected(reason: SidecarErrorReason, errorType: string): void {
    this.#core.options.instruments.recordSidecarError(reason);
    this.#core.recordInvalid({ status: "error", errorType }, 1, this.#core.now(), this.#core.now());
  }

  /** The observer threw on an exchange; the proxy kept streaming it unobserved. */
  observerFailed(): void {
    this.#core.options.instruments.recordSidecarError(SidecarErrorReason.observerFailure);
  }
}

/** State shared by all exchanges. Private to this module. */
class ObserverCore {
  readonly options: ObserverOptions;
  readonly pending: PendingRequests;
  readonly sessions = new SessionTracker();
  readonly #toolNames: ToolNameRegistry;
  readonly #catalogues = new ToolCatalogueAssembler();
  /** Legacy SSE sessions stay open while their GET stream is; idle expiry must not end them. */
  readonly #openLegacyStreams = new Map<string, number>();

  constructor(options: ObserverOptions) {
    this.options = options;
    this.pending = new PendingRequests(
      options.maxPendingRequests,
      options.maxPendingKeyBytes ?? defaultMaxPendingKeyBytes,
    );
    this.#toolNames = new ToolNameRegistry(options.maxToolNames);
  }

  now(): number {
    return this.options.now();
  }

  sweep(): void {
    const now = this.now();
    const idle = this.options.sessionIdleTimeoutMs;
    for (const duration of this.sessions.endIdle(now, idle, (id) => this.#openLegacyStreams.has(id))) {
      this.options.instruments.sessionEnded(duration / 1000);
    }
    for (const entry of this.pending.takeExpired(now, idle, this.options.acceptedTimeoutMs ?? idle)) {
      this.recordUnanswered(entry, SidecarErrorReason.noResponse);
    }
  }

  addPending(key: string, request: PendingRequest): void {
    for (const evicted of this.pending.add(key, request)) this.recordUnanswered(evicted, SidecarErrorReason.noResponse);
  }

  record(entry: PendingRequest, outcome: Outcome, endedAt: number, result?: JsonCost): void {
    entry.span?.end(outcome, result);
    this.options.instruments.recordExchange({
      method: entry.method,
      toolName: entry.method === "tools/call" ? this.#toolNames.toolNameOrOther(entry.toolName) : undefined,
      outcome,
      durationSeconds: Math.max(0, endedAt - entry.startedAt) / 1000,
      protocolVersion: entry.protocolVersion,
      networkTransport: this.options.networkTransport,
    });
  }

  recordUnanswered(entry: PendingRequest, reason: SidecarErrorReason): void {
    this.record(entry, { status: "error", errorType: reason }, this.now());
    this.options.instruments.recordSidecarError(reason);
  }

  recordInvalid(outcome: Outcome, count: number, startedAt: number, now: number): void {
    for (let i = 0; i < count; i++) {
      this.record({ method: invalidMethod, toolName: undefined, startedAt, protocolVersion: undefined }, outcome, now);
    }
  }

  /** A request's span: parent from its params._meta, else the HTTP headers, else a new trace. */
  startSpan(
    message: Extract<JsonRpcMessage, { kind: "request" }>,
    method: string,
    toolName: string | undefined,
    protocolVersion: string | undefined,
    start: ExchangeStart,
  ) {
    const tracer = this.options.tracer;
    if (!tracer) return undefined;
    const params = isRecord(message.params) ? message.params : {};
    return tracer.startRequest({
      method,
      toolName: toolName === undefined ? undefined : this.#toolNames.toolNameOrOther(toolName),
      promptName: message.method === "prompts/get" && typeof params.name === "string" ? params.name : undefined,
      requestId: message.id,
      sessionId: start.sessionId ?? start.legacySessionId,
      protocolVersion,
      networkTransport: this.options.networkTransport,
      parents: [traceCarrierOf(params._meta), start.traceContext ?? {}],
    });
  }

  /** A request answered with a result: learns tool names and records what the result costs a model's context. */
  answered(entry: PendingRequest, outcome: Outcome, result: unknown): JsonCost | undefined {
    const contextCost = this.options.contextCost !== false;
    if (entry.method === "tools/list" && outcome.status === "ok") {
      this.#toolNames.learn(toolNamesOfListResult(result));
      if (contextCost && entry.toolsListPage) this.#toolsListed(entry.toolsListPage, result);
    } else if (!contextCost) {
      return undefined;
    } else if ((entry.method === "initialize" || entry.method === "server/discover") && outcome.status === "ok") {
      const instructions = instructionsOfResult(result);
      if (instructions !== undefined)
        this.options.instruments.contextCost.instructionsSeen(estimateTokens(instructions));
    } else if (entry.method === "tools/call" && isToolResult(outcome)) {
      // What the client hands the model: a result, or a tool error (isError), not a JSON-RPC error.
      const cost = jsonCostOf(result);
      this.options.instruments.contextCost.toolResult(this.#toolNames.toolNameOrOther(entry.toolName), cost.tokens);
      return cost;
    }
    return undefined;
  }

  /** One page of a tools/list: when it completes a catalogue, that catalogue replaces the server's figures. */
  #toolsListed(page: NonNullable<PendingRequest["toolsListPage"]>, result: unknown): void {
    const catalogue = this.#catalogues.page(page.scope, page.cursor, result);
    if (!catalogue) return;
    const definitionTokens = new Map<string, number>();
    for (const tool of catalogue.tools) {
      const name = this.#toolNames.toolNameOrOther(tool.name);
      definitionTokens.set(name, (definitionTokens.get(name) ?? 0) + tool.tokens);
    }
    this.options.instruments.contextCost.catalogueListed({
      ...catalogue,
      tools: catalogue.tools.length,
      definitionTokens,
    });
  }

  /** notifications/tools/list_changed: lists in progress may mix old and new pages; the next complete one counts. */
  toolsChanged(): void {
    this.#catalogues.invalidate();
  }

  sessionSeen(id: string): void {
    const now = this.now();
    if (this.sessions.start(id, now)) this.options.instruments.sessionStarted();
    else this.sessions.touch(id, now);
  }

  sessionClosed(id: string): void {
    const duration = this.sessions.end(id, this.now());
    if (duration !== undefined) this.options.instruments.sessionEnded(duration / 1000);
  }

  legacyStreamOpened(id: string): void {
    this.#openLegacyStreams.set(id, (this.#openLegacyStreams.get(id) ?? 0) + 1);
  }

  legacyStreamClosed(id: string): void {
    const count = (this.#openLegacyStreams.get(id) ?? 1) - 1;
    if (count <= 0) this.#openLegacyStreams.delete(id);
    else this.#openLegacyStreams.set(id, count);
  }
}

class Exchange implements ObservedExchange {
  static #nextId = 0;
  readonly #core: ObserverCore;
  readonly #start: ExchangeStart;
  readonly #startedAt: number;
  /** Where responses to this exchange's requests may show up: the session, or this exchange alone. */
  #scope: string;
  readonly #requestKeys: string[] = [];
  /**
   * subscriptions/listen requests in this body, by JSON-RPC id (as the acknowledgement's _meta names it);
   * made with the first one (nearly every exchange has none).
   */
  #listenKeys: Map<string, string> | undefined;
  readonly #notifications: string[] = [];
  #invalidMessages = 0;
  #head: ResponseHead | undefined;
  #sse: SseObserver | undefined;
  #jsonChunks: Uint8Array[] | undefined;
  #jsonBytes = 0;
  #legacyStreamSession: string | undefined;
  /** A long-lived stream this exchange is (GET stream, legacy SSE stream, acknowledged listen stream). */
  #stream: { kind: StreamKind; openedAt: number } | undefined;
  /** A GET stream without a session: legacy HTTP+SSE if its first event is `endpoint`, else a plain GET stream. */
  #streamKindUndecided = false;
  #ended = false;

  constructor(core: ObserverCore, start: ExchangeStart) {
    this.#core = core;
    this.#start = start;
    this.#startedAt = start.startedAt ?? core.now();
    const session = start.sessionId ?? start.legacySessionId;
    this.#scope = session ?? `exchange:${Exchange.#nextId++}`;
    if (session) core.sessions.touch(session, this.#startedAt);
    if (start.body && start.body.byteLength > 0) this.#readRequestBody(start.body);
  }

  #readRequestBody(body: Uint8Array): void {
    const parsed = parseJsonRpc(Buffer.from(body.buffer, body.byteOffset, body.byteLength).toString("utf8"));
    if (!parsed.ok) {
      this.#invalidMessages = 1;
      return;
    }
    for (const message of parsed.messages) {
      if (message.kind === "request") {
        const key = PendingRequests.key(this.#scope, message.id);
        this.#requestKeys.push(key);
        if (message.method === listenMethod) {
          this.#listenKeys ??= new Map();
          this.#listenKeys.set(String(message.id), key);
        }
        const method = methodOrOther(message.method);
        const toolName = message.method === "tools/call" ? toolNameOfCall(message.params) : undefined;
        const protocolVersion = protocolVersionOrOther(this.#start.protocolVersion ?? protocolVersionOf(message));
        this.#core.addPending(key, {
          method,
          toolName,
          startedAt: this.#startedAt,
          protocolVersion,
          span: this.#core.startSpan(message, method, toolName, protocolVersion, this.#start),
          toolsListPage:
            message.method === "tools/list"
              ? {
                  scope: this.#start.sessionId ?? this.#start.legacySessionId ?? "",
                  cursor: cursorOfListRequest(message.params),
                }
              : undefined,
        });
      } else if (message.kind === "notification") {
        this.#notifications.push(methodOrOther(message.method));
      } else if (message.kind === "invalid") {
        this.#invalidMessages += 1;
      }
    }
  }

  responseHead(head: ResponseHead): void {
    this.#head = head;
    const core = this.#core;
    const now = core.now();
    const { statusCode } = head;
    const requestSession = this.#start.sessionId;

    if (head.sessionId && statusCode < 400 && !core.sessions.has(head.sessionId)) core.sessionSeen(head.sessionId);
    if (requestSession && (statusCode === 404 || (this.#start.httpMethod === "DELETE" && statusCode < 300))) {
      // Streamable HTTP: 404 means the server ended the session; a successful DELETE means the client did.
      core.sessionClosed(requestSession);
    }

    const httpOutcome = outcomeOfHttpStatus(statusCode);
    for (const method of this.#notifications) this.#recordNotification(method, httpOutcome, now);
    if (statusCode === 202) for (const key of this.#requestKeys) core.pending.markAccepted(key);

    const type = head.contentType?.toLowerCase() ?? "";
    if (type.startsWith("text/event-stream")) {
      this.#sse = createSseObserver((event) => this.#onSseEvent(event), sseMaxEventBytes);
      if (this.#start.httpMethod === "GET" && statusCode < 300) {
        if (requestSession) {
          core.sessions.touch(requestSession, now);
          this.#openStream("get", now);
        } else {
          this.#streamKindUndecided = true;
        }
      }
    } else if (type.includes("json") && (this.#requestKeys.length > 0 || this.#invalidMessages > 0)) {
      this.#jsonChunks = [];
    }
  }

  responseChunk(chunk: Uint8Array): void {
    if (this.#sse) {
      this.#sse.feed(chunk);
    } else if (this.#jsonChunks) {
      this.#jsonBytes += chunk.byteLength;
      if (this.#jsonBytes > this.#core.options.maxObservedBytes) this.#jsonChunks = undefined;
      else this.#jsonChunks.push(chunk);
    }
  }

  responseEnd(ending: ResponseEnding = "complete"): void {
    if (this.#ended) return;
    this.#ended = true;
    const core = this.#core;
    this.#sse?.end();
    const now = core.now();
    if (this.#stream) {
      core.options.instruments.streamClosed(this.#stream.kind, Math.max(0, now - this.#stream.openedAt) / 1000);
      this.#stream = undefined;
    }
    if (this.#legacyStreamSession) {
      const session = this.#legacyStreamSession;
      core.legacyStreamClosed(session);
      core.sessionClosed(session);
      // Requests answered 202 wait for this stream; with it gone, nothing will answer them.
      for (const entry of core.pending.takeScope(session)) core.recordUnanswered(entry, reasonOf(ending));
    }
    let nullIdError: Outcome | undefined;
    if (this.#jsonChunks && ending === "complete") {
      const text = Buffer.concat(this.#jsonChunks).toString("utf8");
      const parsed = parseJsonRpc(text);
      if (parsed.ok) {
        for (const message of parsed.messages) {
          if (message.kind !== "response") continue;
          if (message.id === null) {
            if (message.error)
              nullIdError = {
                status: "error",
                errorType: errorTypeOfCode(message.error.code),
                code: message.error.code,
              };
          } else this.#resolve(message);
        }
      } else if ((this.#head?.statusCode ?? 0) < 300) {
        nullIdError = { status: "error", errorType: SidecarErrorReason.invalidResponse };
        core.options.instruments.recordSidecarError(SidecarErrorReason.invalidResponse);
      }
    }
    this.#finishLeftovers(ending, nullIdError);
  }

  answeredBySidecar(reason: SidecarErrorReason, errorType: string): void {
    if (this.#ended) return;
    this.#ended = true;
    this.#core.options.instruments.recordSidecarError(reason);
    const outcome: Outcome = { status: "error", errorType };
    const now = this.#core.now();
    for (const key of this.#requestKeys) {
      const entry = this.#core.pending.take(key);
      if (entry) this.#core.record(entry, outcome, now);
    }
    for (const method of this.#notifications) this.#recordNotification(method, outcome, now);
    this.#core.recordInvalid(outcome, this.#invalidMessages, this.#startedAt, now);
    this.#invalidMessages = 0;
  }

  clientClosed(): void {
    if (this.#ended) return;
    this.#ended = true;
    const now = this.#core.now();
    for (const key of this.#requestKeys) {
      const entry = this.#core.pending.take(key);
      if (entry) this.#core.record(entry, cancelled, now);
    }
    for (const method of this.#notifications) this.#recordNotification(method, cancelled, now);
  }

  #recordNotification(method: string, outcome: Outcome, now: number): void {
    this.#core.record(
      { method, toolName: undefined, startedAt: this.#startedAt, protocolVersion: undefined },
      outcome,
      now,
    );
  }

  #openStream(kind: StreamKind, now: number): void {
    if (this.#stream) return;
    this.#stream = { kind, openedAt: now };
    this.#core.options.instruments.streamOpened(kind);
  }

  /** Requests this exchange carried that no response answered by the time its response ended. */
  #finishLeftovers(ending: ResponseEnding, nullIdError: Outcome | undefined): void {
    const core = this.#core;
    const statusCode = this.#head?.statusCode ?? 0;
    const now = core.now();
    const failed = nullIdError ?? (statusCode >= 400 ? outcomeOfHttpStatus(statusCode) : undefined);
    if (failed || statusCode !== 202) {
      // 202 Accepted: the legacy SSE transport answers on the session's GET stream later, so keep waiting.
      for (const key of this.#requestKeys) {
        const entry = core.pending.take(key);
        if (!entry) continue;
        if (failed) core.record(entry, failed, now);
        else if (ending === "client_closed") core.record(entry, cancelled, now);
        else core.recordUnanswered(entry, reasonOf(ending));
      }
    }
    if (this.#invalidMessages > 0) {
      core.options.instruments.recordSidecarError(SidecarErrorReason.malformedJsonRpc);
      core.recordInvalid(
        failed ?? { status: "error", errorType: "invalid_request" },
        this.#invalidMessages,
        this.#startedAt,
        now,
      );
      this.#invalidMessages = 0;
    }
  }

  #onSseEvent(event: EventSourceMessage): void {
    if (this.#streamKindUndecided) {
      this.#streamKindUndecided = false;
      this.#openStream(event.event === "endpoint" ? "legacy_sse" : "get", this.#core.now());
    }
    if (event.event === "endpoint") {
      const sessionId = sessionIdOfEndpointEvent(event.data);
      if (sessionId && !this.#legacyStreamSession) {
        this.#legacyStreamSession = sessionId;
        this.#scope = sessionId;
        this.#core.legacyStreamOpened(sessionId);
        this.#core.sessionSeen(sessionId);
      }
      return;
    }
    if (event.event !== undefined && event.event !== "message") return;
    const parsed = parseJsonRpc(event.data);
    if (!parsed.ok) return;
    for (const message of parsed.messages) {
      if (message.kind === "response" && message.id !== null) this.#resolve(message);
      else if (message.kind === "notification" && message.method === listenAcknowledgedMethod)
        this.#acknowledged(message);
      else if (message.kind === "notification" && message.method === toolsListChangedMethod) this.#core.toolsChanged();
    }
  }

  /** A listen stream is established: its request counts once, as ok; the stream's life is not a latency. */
  #acknowledged(message: Extract<JsonRpcMessage, { kind: "notification" }>): void {
    if (this.#listenKeys === undefined) return;
    const subscription = subscriptionIdOf(message.params);
    const key =
      (subscription === undefined ? undefined : this.#listenKeys.get(subscription)) ??
      this.#listenKeys.values().next().value;
    if (key === undefined) return;
    const entry = this.#core.pending.take(key);
    if (!entry) return;
    const now = this.#core.now();
    this.#core.record(entry, { status: "ok" }, now);
    this.#openStream("listen", now);
  }

  #resolve(response: Extract<JsonRpcMessage, { kind: "response" }>): void {
    if (response.id === null) return;
    const entry = this.#core.pending.take(PendingRequests.key(this.#scope, response.id));
    if (!entry) return;
    const outcome = outcomeOfResponse(response, entry.method);
    const resultCost = response.error ? undefined : this.#core.answered(entry, outcome, response.result);
    this.#core.record(entry, outcome, this.#core.now(), resultCost);
  }
}

/** A tools/call answer the client passes to the model: a result, or a tool error (isError). */
function isToolResult(outcome: Outcome): boolean {
  return outcome.status === "ok" || (outcome.status === "error" && outcome.errorType === toolErrorType);
}

/** Why requests still waiting when their stream ended got no answer. */
function reasonOf(ending: ResponseEnding): SidecarErrorReason {
  return ending === "upstream_failed" ? SidecarErrorReason.upstreamBroken : SidecarErrorReason.noResponse;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null;
}

/** The protocol revision a request names in its own _meta (2026-07-28) or initialize params. */
function protocolVersionOf(message: Extract<JsonRpcMessage, { kind: "request" }>): string | undefined {
  if (!isRecord(message.params)) return undefined;
  if (message.method === "initialize" && typeof message.params.protocolVersion === "string")
    return message.params.protocolVersion;
  const meta = message.params._meta;
  const version = isRecord(meta) ? meta["io.modelcontextprotocol/protocolVersion"] : undefined;
  return typeof version === "string" ? version : undefined;
}

function traceCarrierOf(meta: unknown): TraceCarrier {
  if (!isRecord(meta)) return {};
  return {
    traceparent: typeof meta.traceparent === "string" ? meta.traceparent : undefined,
    tracestate: typeof meta.tracestate === "string" ? meta.tracestate : undefined,
  };
}

function subscriptionIdOf(params: unknown): string | undefined {
  const meta = isRecord(params) ? params._meta : undefined;
  const id = isRecord(meta) ? meta[subscriptionIdMetaKey] : undefined;
  return typeof id === "string" || typeof id === "number" ? String(id) : undefined;
}
