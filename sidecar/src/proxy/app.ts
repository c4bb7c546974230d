import { type ServerResponse, STATUS_CODES } from "node:http";
import { pipeline } from "node:stream";
import httpProxy, { type FastifyHttpProxyOptions } from "@fastify/http-proxy";
import Fastify, {
  type FastifyBaseLogger,
  type FastifyInstance,
  type FastifyReply,
  type FastifyRequest,
  LogController,
} from "fastify";
import type { Logger } from "pino";
import { sidecarRoutes } from "../contract.js";
import type { UpstreamHealthReport } from "../health/upstream-health.js";
import type { ExchangeObserver } from "../observer/exchange-observer.js";
import { observedStream } from "./observed-stream.js";
import { schemalessCompilers } from "./schemaless-compilers.js";
import {
  answerForRefusedRequest,
  answerForUpstreamFailure,
  ClientGoneError,
  refusalOfClientError,
  type SidecarAnswer,
  UpstreamHeadTimeoutError,
} from "./upstream-error.js";
import { createUpstreamPool, upstreamSignal } from "./upstream-pool.js";

export interface ProxyOptions {
  upstreamUrl: string;
  /** What /health and error messages call the upstream (the URL, or the stdio command). */
  upstreamLabel: string;
  maxBodyBytes: number;
  upstreamTimeoutMs: number;
  connectTimeoutMs: number;
  /** The longest a client may take to send its request (headers and body); SSE responses are not limited. */
  requestTimeoutMs: number;
}

export interface ProxyDeps {
  observer: ExchangeObserver;
  health: { check(): Promise<UpstreamHealthReport> };
  logger: Logger;
}

/** Upstream connections at most; a request beyond waits for one (within the upstream time-out). */
const upstreamConnections = 512;

function header(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value;
}

function rawQuery(url: string): string {
  const index = url.indexOf("?");
  return index < 0 ? "" : url.slice(index + 1);
}

function sendAnswer(reply: FastifyReply, answer: SidecarAnswer): void {
  reply.code(answer.statusCode).header("content-type", "application/json").send(answer.body);
}

/** Builds the proxy without listening, so tests can use inject() or listen on port 0. */
export async function buildProxyApp(options: ProxyOptions, deps: ProxyDeps): Promise<FastifyInstance> {
  const { observer, logger } = deps;
  const app = Fastify({
    loggerInstance: logger as FastifyBaseLogger,
    // One debug line per exchange is written below; fastify's two info lines per request are not.
    logController: new LogController({ disableRequestLogging: true }),
    bodyLimit: options.maxBodyBytes,
    // Node's requestTimeout covers receiving the request only (never the streamed response): a client
    // trickling its body is cut with 408 instead of holding memory forever.
    requestTimeout: options.requestTimeoutMs,
    // Node looks for overdue requests this often (30 s by default), and enforces requestTimeout only
    // when headersTimeout is not longer than it.
    http: {
      connectionsCheckingInterval: Math.min(1_000, options.requestTimeoutMs),
      headersTimeout: Math.min(60_000, options.requestTimeoutMs),
    },
    keepAliveTimeout: 72_000,
    return503OnClosing: true,
    routerOptions: { ignoreTrailingSlash: false, caseSensitive: true },
    // No route declares a schema: fastify then need not load ajv and fast-json-stringify.
    schemaController: schemalessCompilers,
    // What Node's parser refuses (oversized headers, smuggling shapes, a body sent too slowly) is
    // answered and counted here, before any route runs.
    clientErrorHandler(error: Error & { code?: string }, socket) {
      if (error.code === "ECONNRESET" || socket.destroyed) return;
      const { statusCode, message } = refusalOfClientError(error.code);
      const answer = answerForRefusedRequest(statusCode, message);
      observer.rejected(answer.reason, answer.errorType);
      logger.warn({ err: error, code: answer.code, cause: error.code }, "request refused by the HTTP parser");
      if (socket.writable) {
        socket.write(
          `HTTP/1.1 ${statusCode} ${STATUS_CODES[statusCode]}\r\nContent-Length: ${Buffer.byteLength(answer.body)}\r\n` +
            `Content-Type: application/json\r\nConnection: close\r\n\r\n${answer.body}`,
        );
      }
      socket.destroy(error);
    },
  });

  // Bodies are kept as raw bytes: forwarded exactly as received, parsed only as a copy by the observer.
  app.removeAllContentTypeParsers();
  app.addContentTypeParser("*", { parseAs: "buffer" }, (_request, body, done) => done(null, body));

  app.setErrorHandler((error: Error & { statusCode?: number; code?: string }, request, reply) => {
    const statusCode = error.statusCode && error.statusCode >= 400 && error.statusCode < 500 ? error.statusCode : 500;
    const answer = answerForRefusedRequest(statusCode, `mcpscope: ${error.message}`);
    observer.rejected(answer.reason, answer.errorType);
    request.log.warn({ err: error, url: request.url, code: answer.code }, "request refused by the sidecar");
    sendAnswer(reply, answer);
  });

  app.get(sidecarRoutes.liveness, async () => ({ status: "ok" }));
  app.get(sidecarRoutes.health, async (_request, reply) => {
    const report = await deps.health.check();
    // degraded (a full stdio bridge) is not ready either: the pod cannot take a new client.
    reply.code(report.status === "ok" ? 200 : 503);
    return report;
  });

  if (logger.isLevelEnabled("debug")) {
    app.addHook("onResponse", async (request, reply) => {
      request.log.debug(
        {
          method: request.method,
          url: request.url,
          statusCode: reply.statusCode,
          ms: reply.elapsedTime,
        },
        "exchange",
      );
    });
  }

  const pool = createUpstreamPool(new URL(options.upstreamUrl).origin, {
    connections: upstreamConnections,
    // A backstop only: the proxy's own timer (which also counts waiting for a connection) fires first.
    headersTimeoutMs: options.upstreamTimeoutMs + 1_000,
    connectTimeoutMs: options.connectTimeoutMs,
  });

  await app.register(httpProxy, {
    upstream: options.upstreamUrl,
    prefix: "/",
    proxyPayloads: false,
    disableRequestLogging: true,
    // reply-from takes any object with request() as its undici instance (its typings name its own undici).
    undici: pool as unknown as FastifyHttpProxyOptions["undici"],
    replyOptions: {
      // http-proxy re-serialises the query string; send the client's bytes instead.
      queryString: (_search: string | undefined, url: string) => rawQuery(url),
    },
    handler(request: FastifyRequest, reply: FastifyReply, dest: string, replyOptions: object) {
      const body = Buffer.isBuffer(request.body) ? request.body : undefined;
      const exchange = observer.begin({
        httpMethod: request.method,
        sessionId: header(request.headers["mcp-session-id"]),
        legacySessionId: legacySessionIdOf(request.url),
        protocolVersion: header(request.headers["mcp-protocol-version"]),
        traceContext: {
          traceparent: header(request.headers.traceparent),
          tracestate: header(request.headers.tracestate),
        },
        body,
      });
      // The upstream request ends when its client goes (any response kind, before or after its head)
      // and when no head came within the time-out, even while it waited for a pool connection.
      const cancel = new AbortController();
      const raw = reply.raw;
      const headTimer = setTimeout(
        () => cancel.abort(new UpstreamHeadTimeoutError(options.upstreamTimeoutMs)),
        options.upstreamTimeoutMs,
      );
      raw.once("close", () => {
        // The exchange is over either way; a timer left running would hold it for the whole time-out.
        clearTimeout(headTimer);
        if (!raw.writableFinished) cancel.abort(new ClientGoneError());
      });
      const clientGone = () => cancel.signal.reason instanceof ClientGoneError;
      return reply.from(dest, {
        ...replyOptions,
        rewriteRequestHeaders: (_request: unknown, headers: Record<string, unknown>) => ({
          ...headers,
          [upstreamSignal]: cancel.signal,
        }),
        ...(body === undefined
          ? {}
          : {
              body,
              contentType: header(request.headers["content-type"]) ?? "application/octet-stream",
            }),
        onResponse(_request, upstreamReply, response) {
          clearTimeout(headTimer);
          // reply-from's typings describe a node response; at run time it is undici's { statusCode, headers, stream }.
          const headers = (
            response as unknown as {
              headers: Record<string, string | string[] | undefined>;
            }
          ).headers;
          exchange.responseHead({
            statusCode: response.statusCode,
            contentType: header(headers["content-type"]),
            sessionId: header(headers["mcp-session-id"]),
          });
          const tapped = observedStream(
            {
              chunk: (chunk) => exchange.responseChunk(chunk),
              end: (complete) =>
                exchange.responseEnd(complete ? "complete" : clientGone() ? "client_closed" : "upstream_failed"),
            },
            (error) => {
              observer.observerFailed();
              request.log.error({ err: error }, "observer failed; the exchange continues unobserved");
            },
          );
          // pipeline, not pipe: a client that leaves destroys the upstream body too (and so its connection).
          pipeline(response.stream, tapped, () => {});
          upstreamReply.send(tapped);
          // fastify writes a stream's headers with its first chunk; an SSE stream may stay quiet for
          // minutes and clients wait for the headers. Flush them if no chunk went out by the next
          // turn of the loop (an answer that follows at once costs no extra write).
          if (isEventStream(headers["content-type"])) {
            const raw = upstreamReply.raw as ServerResponse;
            setImmediate(() => {
              if (!raw.headersSent && !raw.destroyed && raw.hasHeader("content-type")) raw.flushHeaders();
            });
          }
        },
        onError(errorReply, { error }) {
          clearTimeout(headTimer);
          if (clientGone()) {
            exchange.clientClosed();
            return;
          }
          const answer = answerForUpstreamFailure(error, options.upstreamLabel, body);
          exchange.answeredBySidecar(answer.reason, answer.errorType);
          request.log.warn({ err: error, url: request.url, code: answer.code }, "upstream failed");
          sendAnswer(errorReply as FastifyReply, answer);
        },
      } as Parameters<FastifyReply["from"]>[1]);
    },
  });

  return app;
}

function isEventStream(contentType: string | string[] | undefined): boolean {
  return header(contentType)?.toLowerCase().startsWith("text/event-stream") ?? false;
}

function legacySessionIdOf(url: string): string | undefined {
  const query = rawQuery(url);
  if (!query.includes("sessionId=")) return undefined;
  return new URLSearchParams(query).get("sessionId") ?? undefined;
}
