import type { EventSourceMessage } from "eventsource-parser";
import { errorTypeOfCode, type JsonRpcMessage, parseJsonRpc } from "../mcp/jsonrpc.js";
import { invalidMethod, methodOrOther } from "../mcp/methods.js";
import {
  type Outcome,
  outcomeOfHttpStatus,
  outcomeOfResponse,
  sessionIdOfEndpointEvent,
  toolNameOfCall,
  toolNamesOfListResult,
} from "../mcp/results.js";
import { createSseObserver, type SseObserver } from "../mcp/sse.js";
import type { McpInstruments } from "../telemetry/instruments.js";
import { SidecarErrorReason } from "../telemetry/semconv.js";
import { type PendingRequest, PendingRequests } from "./pending-requests.js";
import { SessionTracker } from "./sessions.js";
import { ToolNameRegistry } from "./tool-names.js";

export interface ObserverOptions {
  instruments: McpInstruments;
  /** Monotonic milliseconds (performance.now in production; a counter in tests). */
  now: () => number;
  maxToolNames: number;
  /** The most response bytes buffered to read a JSON body; larger bodies are counted by HTTP status only. */
  maxObservedBytes: number;
  maxPendingRequests: number;
  sessionIdleTimeoutMs: number;
}

export interface ExchangeStart {
  httpMethod: string;
  /** Mcp-Session-Id request header (Streamable HTTP). */
  sessionId: string | undefined;
  /** sessionId query parameter (legacy HTTP+SSE POST /message). */
  legacySessionId: string | undefined;
  body: Uint8Array | undefined;
}

export interface ResponseHead {
  statusCode: number;
  contentType: string | undefined;
  sessionId: string | undefined;
}

/** The sidecar's view of one HTTP exchange. Every method is safe to call after the others fail. */
export interface ObservedExchange {
  responseHead(head: ResponseHead): void;
  responseChunk(chunk: Uint8Array): void;
  responseEnd(): void;
  /** The sidecar answered itself (upstream down, body too large…). */
  answeredBySidecar(statusCode: number, reason: SidecarErrorReason, errorType: string): void;
}

const sseMaxEventBytes = 8 * 1024 * 1024;

/**
 * Correlates JSON-RPC requests with their responses (in a JSON body, in the POST's SSE stream, or in
 * another stream of the same session) and turns them into metrics. No I/O: the proxy feeds it copies.
 */
export class ExchangeObserver {
  readonly #opts: ObserverOptions;
  readonly #pending: PendingRequests;
  readonly #sessions = new SessionTracker();
  readonly #toolNames: ToolNameRegistry;
  /** Legacy SSE sessions stay open while their GET stream is; idle expiry must not end them. */
  readonly #openStreams = new Map<string, number>();
  #nextExchangeId = 0;

  constructor(opts: ObserverOptions) {
    this.#opts = opts;
    this.#pending = new PendingRequests(opts.maxPendingRequests);
    this.#toolNames = new ToolNameRegistry(opts.maxToolNames);
  }

  get openSessions(): number {
    return this.#sessions.size;
  }

  get pendingRequests(): number {
    return this.#pending.size;
  }

  begin(start: ExchangeStart): ObservedExchange {
    return new Exchange(this, start, this.#nextExchangeId++);
  }

  /** Ends idle sessions and gives up on requests nobody answered; call periodically. */
  sweep(): void {
    const now = this.#opts.now();
    const idle = this.#opts.sessionIdleTimeoutMs;
    for (const duration of this.#sessions.endIdle(now, idle, (id) => this.#openStreams.has(id))) {
      this.#opts.instruments.sessionEnded(duration / 1000);
    }
    for (const entry of this.#pending.takeOlderThan(now, idle)) this.recordUnanswered(entry);
  }

  /** A request the sidecar refused before reading it as JSON-RPC (e.g. a body over the limit). */
  rejected(reason: SidecarErrorReason, errorType: string): void {
    this.#opts.instruments.recordSidecarError(reason);
    this.#opts.instruments.recordExchange({
      method: invalidMethod,
      outcome: { status: "error", errorType },
      durationSeconds: 0,
    });
  }

  // ---- used by Exchange ----

  now(): number {
    return this.#opts.now();
  }

  get options(): ObserverOptions {
    return this.#opts;
  }

  addPending(key: string, request: PendingRequest): void {
    const evicted = this.#pending.add(key, request);
    if (evicted) this.recordUnanswered(evicted);
  }

  takePending(key: string): PendingRequest | undefined {
    return this.#pending.take(key);
  }

  record(entry: PendingRequest, outcome: Outcome, endedAt: number): void {
    this.#opts.instruments.recordExchange({
      method: entry.method,
      toolName: entry.method === "tools/call" ? this.#toolNames.toolNameOrOther(entry.toolName) : undefined,
      outcome,
      durationSeconds: Math.max(0, endedAt - entry.startedAt) / 1000,
    });
  }

  recordUnanswered(entry: PendingRequest): void {
    this.record(entry, { status: "error", errorType: SidecarErrorReason.noResponse }, this.now());
    this.#opts.instruments.recordSidecarError(SidecarErrorReason.noResponse);
  }

  learnTools(result: unknown): void {
    this.#toolNames.learn(toolNamesOfListResult(result));
  }

  sessionSeen(id: string): void {
    const now = this.now();
    if (this.#sessions.start(id, now)) this.#opts.instruments.sessionStarted();
    else this.#sessions.touch(id, now);
  }

  touchSession(id: string): void {
    this.#sessions.touch(id, this.now());
  }

  sessionClosed(id: string): void {
    const duration = this.#sessions.end(id, this.now());
    if (duration !== undefined) this.#opts.instruments.sessionEnded(duration / 1000);
  }

  hasSession(id: string): boolean {
    return this.#sessions.has(id);
  }

  streamOpened(id: string): void {
    this.#openStreams.set(id, (this.#openStreams.get(id) ?? 0) + 1);
  }

  streamClosed(id: string): void {
    const count = (this.#openStreams.get(id) ?? 1) - 1;
    if (count <= 0) this.#openStreams.delete(id);
    else this.#openStreams.set(id, count);
  }
}

class Exchange implements ObservedExchange {
  readonly #observer: ExchangeObserver;
  readonly #start: ExchangeStart;
  readonly #startedAt: number;
  readonly #id: number;
  /** Where responses to this exchange's requests may show up: the session, or this exchange alone. */
  #scope: string;
  readonly #requestKeys: string[] = [];
  readonly #notifications: string[] = [];
  #invalidMessages = 0;
  #head: ResponseHead | undefined;
  #sse: SseObserver | undefined;
  #jsonChunks: Uint8Array[] | undefined;
  #jsonBytes = 0;
  #legacyStreamSession: string | undefined;
  #ended = false;

  constructor(observer: ExchangeObserver, start: ExchangeStart, id: number) {
    this.#observer = observer;
    this.#start = start;
    this.#id = id;
    this.#startedAt = observer.now();
    const session = start.sessionId ?? start.legacySessionId;
    this.#scope = session ?? `exchange:${id}`;
    if (session) observer.touchSession(session);
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
        this.#observer.addPending(key, {
          method: methodOrOther(message.method),
          toolName: message.method === "tools/call" ? toolNameOfCall(message.params) : undefined,
          startedAt: this.#startedAt,
          exchangeId: this.#id,
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
    const observer = this.#observer;
    const now = observer.now();
    const { statusCode } = head;
    const requestSession = this.#start.sessionId;

    if (head.sessionId && statusCode < 400 && !observer.hasSession(head.sessionId))
      observer.sessionSeen(head.sessionId);
    if (requestSession && (statusCode === 404 || (this.#start.httpMethod === "DELETE" && statusCode < 300))) {
      // Streamable HTTP: 404 means the server ended the session; a successful DELETE means the client did.
      observer.sessionClosed(requestSession);
    }

    const httpOutcome = outcomeOfHttpStatus(statusCode);
    for (const method of this.#notifications) {
      observer.record(
        {
          method,
          toolName: undefined,
          startedAt: this.#startedAt,
          exchangeId: this.#id,
        },
        httpOutcome,
        now,
      );
    }

    const type = head.contentType?.toLowerCase() ?? "";
    if (type.startsWith("text/event-stream")) {
      this.#sse = createSseObserver((event) => this.#onSseEvent(event), sseMaxEventBytes);
      if (requestSession && this.#start.httpMethod === "GET") observer.touchSession(requestSession);
    } else if (type.includes("json") && (this.#requestKeys.length > 0 || this.#invalidMessages > 0)) {
      this.#jsonChunks = [];
    }
  }

  responseChunk(chunk: Uint8Array): void {
    if (this.#sse) {
      this.#sse.feed(chunk);
    } else if (this.#jsonChunks) {
      this.#jsonBytes += chunk.byteLength;
      if (this.#jsonBytes > this.#observer.options.maxObservedBytes) this.#jsonChunks = undefined;
      else this.#jsonChunks.push(chunk);
    }
  }

  responseEnd(): void {
    if (this.#ended) return;
    this.#ended = true;
    const observer = this.#observer;
    this.#sse?.end();
    if (this.#legacyStreamSession) {
      observer.streamClosed(this.#legacyStreamSession);
      observer.sessionClosed(this.#legacyStreamSession);
    }
    let nullIdError: Outcome | undefined;
    if (this.#jsonChunks) {
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
              };
          } else this.#resolve(message);
        }
      }
    }
    this.#finishLeftovers(nullIdError);
  }

  answeredBySidecar(statusCode: number, reason: SidecarErrorReason, errorType: string): void {
    if (this.#ended) return;
    this.#head ??= {
      statusCode,
      contentType: "application/json",
      sessionId: undefined,
    };
    this.#observer.options.instruments.recordSidecarError(reason);
    this.#ended = true;
    const outcome: Outcome = { status: "error", errorType };
    const now = this.#observer.now();
    for (const key of this.#requestKeys) {
      const entry = this.#observer.takePending(key);
      if (entry) this.#observer.record(entry, outcome, now);
    }
    for (const method of this.#notifications) {
      this.#observer.record(
        {
          method,
          toolName: undefined,
          startedAt: this.#startedAt,
          exchangeId: this.#id,
        },
        outcome,
        now,
      );
    }
    this.#recordInvalid(outcome, now);
  }

  /** Requests this exchange carried that no response answered by the time its response ended. */
  #finishLeftovers(nullIdError: Outcome | undefined): void {
    const observer = this.#observer;
    const statusCode = this.#head?.statusCode ?? 0;
    const now = observer.now();
    const failed = nullIdError ?? (statusCode >= 400 ? outcomeOfHttpStatus(statusCode) : undefined);
    if (failed || statusCode !== 202) {
      // 202 Accepted: the legacy SSE transport answers on the session's GET stream later, so keep waiting.
      for (const key of this.#requestKeys) {
        const entry = observer.takePending(key);
        if (!entry) continue;
        if (failed) observer.record(entry, failed, now);
        else observer.recordUnanswered(entry);
      }
    }
    if (this.#invalidMessages > 0) {
      observer.options.instruments.recordSidecarError(SidecarErrorReason.malformedJsonRpc);
      this.#recordInvalid(failed ?? { status: "error", errorType: "invalid_request" }, now);
    }
  }

  #recordInvalid(outcome: Outcome, now: number): void {
    for (let i = 0; i < this.#invalidMessages; i++) {
      this.#observer.record(
        {
          method: invalidMethod,
          toolName: undefined,
          startedAt: this.#startedAt,
          exchangeId: this.#id,
        },
        outcome,
        now,
      );
    }
    this.#invalidMessages = 0;
  }

  #onSseEvent(event: EventSourceMessage): void {
    if (event.event === "endpoint") {
      const sessionId = sessionIdOfEndpointEvent(event.data);
      if (sessionId && !this.#legacyStreamSession) {
        this.#legacyStreamSession = sessionId;
        this.#scope = sessionId;
        this.#observer.streamOpened(sessionId);
        this.#observer.sessionSeen(sessionId);
      }
      return;
    }
    if (event.event !== undefined && event.event !== "message") return;
    const parsed = parseJsonRpc(event.data);
    if (!parsed.ok) return;
    for (const message of parsed.messages) {
      if (message.kind === "response" && message.id !== null) this.#resolve(message);
    }
  }

  #resolve(response: Extract<JsonRpcMessage, { kind: "response" }>): void {
    if (response.id === null) return;
    const entry = this.#observer.takePending(PendingRequests.key(this.#scope, response.id));
    if (!entry) return;
    const outcome = outcomeOfResponse(response, entry.method);
    if (entry.method === "tools/list" && outcome.status === "ok") this.#observer.learnTools(response.result);
    this.#observer.record(entry, outcome, this.#observer.now());
  }
}
