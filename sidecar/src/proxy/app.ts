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
import type { ExchangeObserver, ObservedExchange } from "../observer/exchange-observer.js";
import { EndpointEventRewriter, withLegacySessionId } from "../replicas/endpoint-event.js";
import {
  installPeerForwarding,
  type LocalSession,
  peerConnectTimeoutMs,
  type ReplicaRouting,
} from "../replicas/peer-forwarding.js";
import { wrapSessionId } from "../replicas/session-id.js";
import { observePipedStream } from "./observed-stream.js";
import { flushHeadersSoon, outgoingCancellation, sendAnswer } from "./reply-lifetime.js";
import { bodyOf, bodyOptions, header, isEventStream, legacySessionIdOf, rawQuery } from "./request-parts.js";
import { schemalessCompilers } from "./schemaless-compilers.js";
import { answerForRefusedRequest, answerForUpstreamFailure, refusalOfClientError } from "./upstream-error.js";
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
  /** Set when this sidecar is one of several replicas; sessions are then routed to their replica. */
  replicas?: ReplicaRouting | undefined;
  health: { check(): Promise<UpstreamHealthReport> };
  logger: Logger;
}

/** Upstream connections at most; a request beyond waits for one (within the upstream time-out). */
const upstreamConnections = 512;

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
    // A replicated sidecar answers draining requests itself (below): sessions get 404, not 503.
    return503OnClosing: deps.replicas === undefined,
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

  const routing = deps.replicas;
  // Installed before the routes: its draining hook must run for every proxied request.
  const toReplica = routing
    ? installPeerForwarding(app, routing, { observer, upstreamTimeoutMs: options.upstreamTimeoutMs })
    : undefined;

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
    peerConnectTimeoutMs: Math.min(options.connectTimeoutMs, peerConnectTimeoutMs),
    ...(routing ? { selfIp: routing.selfIp } : {}),
  });
  const wrapForClient = routing ? (id: string) => wrapSessionId(routing.tag, id) : undefined;

  /** Forwards one request to this pod's upstream and observes it; `session` says which ids it carries. */
  function toUpstream(
    request: FastifyRequest,
    reply: FastifyReply,
    dest: string,
    replyOptions: object,
    session: LocalSession,
  ) {
    const body = bodyOf(request);
    const startedAt = observer.now();
    // Begun once the request is on its way upstream (below): reading its body as JSON-RPC is then off
    // the client's path. The callbacks begin it themselves should they run first.
    let begun: ObservedExchange | undefined;
    const exchange = () =>
      (begun ??= observer.begin({
        httpMethod: request.method,
        sessionId: session.sessionId,
        legacySessionId: session.legacySessionId,
        protocolVersion: header(request.headers["mcp-protocol-version"]),
        traceContext: {
          traceparent: header(request.headers.traceparent),
          tracestate: header(request.headers.tracestate),
        },
        body,
        startedAt,
      }));
    /** What the observer throws is counted and logged; the exchange itself goes on. */
    const observerFailed = (error: unknown) => {
      observer.observerFailed();
      request.log.error({ err: error }, "observer failed; the exchange continues unobserved");
    };
    const { signal, clientGone, headTimer } = outgoingCancellation(reply, options.upstreamTimeoutMs);
    // A legacy SSE stream (a GET without a session) announces its session id in its endpoint event.
    const rewriteEndpoint =
      wrapForClient !== undefined &&
      request.method === "GET" &&
      session.sessionId === undefined &&
      session.legacySessionId === undefined;
    const forwarded = reply.from(dest, {
      ...replyOptions,
      ...(session.legacySessionId !== undefined && session.legacyQueryChanged
        ? {
            queryString: (_search: string | undefined, url: string) =>
              withLegacySessionId(rawQuery(url), session.legacySessionId as string),
          }
        : {}),
      // reply-from's own copy of the client's headers, made for this request: changed in place.
      rewriteRequestHeaders: (_request: unknown, headers: Record<string, unknown>) => {
        if (session.sessionId !== undefined) headers["mcp-session-id"] = session.sessionId;
        (headers as Record<symbol, unknown>)[upstreamSignal] = signal;
        return headers;
      },
      ...(wrapForClient === undefined
        ? {}
        : {
            rewriteHeaders: (headers: Record<string, string | string[] | undefined>) => {
              const minted = header(headers["mcp-session-id"]);
              return minted === undefined ? headers : { ...headers, "mcp-session-id": wrapForClient(minted) };
            },
          }),
      ...bodyOptions(request, body),
      onResponse(_request, upstreamReply, response) {
        clearTimeout(headTimer);
        // reply-from's typings describe a node response; at run time it is undici's { statusCode, headers, stream }.
        const headers = (
          response as unknown as {
            headers: Record<string, string | string[] | undefined>;
          }
        ).headers;
        const observed = exchange();
        observed.responseHead({
          statusCode: response.statusCode,
          contentType: header(headers["content-type"]),
          sessionId: header(headers["mcp-session-id"]),
        });
        const eventStream = isEventStream(headers["content-type"]);
        // A legacy SSE stream of a replicated sidecar has its endpoint event rewritten on the way.
        const rewritten =
          rewriteEndpoint && eventStream && wrapForClient ? new EndpointEventRewriter(wrapForClient) : undefined;
        observePipedStream(
          response.stream,
          rewritten ?? (upstreamReply.raw as ServerResponse),
          {
            chunk: (chunk) => observed.responseChunk(chunk),
            end: (complete) =>
              observed.responseEnd(complete ? "complete" : clientGone() ? "client_closed" : "upstream_failed"),
          },
          observerFailed,
        );
        if (rewritten) {
          // pipeline, not pipe: a client that leaves destroys the upstream body too (and so its connection).
          pipeline(response.stream, rewritten, () => {});
          upstreamReply.send(rewritten);
        } else {
          // fastify pipes it to the client and destroys it (ending the upstream request) if the client leaves.
          upstreamReply.send(response.stream);
        }
        if (eventStream) flushHeadersSoon(upstreamReply, response.stream);
      },
      onError(errorReply, { error }) {
        clearTimeout(headTimer);
        if (clientGone()) {
          exchange().clientClosed();
          return;
        }
        const answer = answerForUpstreamFailure(error, options.upstreamLabel, body);
        exchange().answeredBySidecar(answer.reason, answer.errorType);
        request.log.warn({ err: error, url: request.url, code: answer.code }, "upstream failed");
        sendAnswer(errorReply as FastifyReply, answer);
      },
    } as Parameters<FastifyReply["from"]>[1]);
    // On a kept-alive connection undici writes the request from an immediate that reply.from has just
    // queued; this one runs after it, so the request is on the wire before its body is parsed (README
    // "Where the added p50 goes"). Outside the route, a throw would be uncaught: the exchange goes on.
    setImmediate(() => {
      try {
        exchange();
      } catch (error) {
        observerFailed(error);
      }
    });
    return forwarded;
  }

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
      if (toReplica) return toReplica(request, reply, dest, replyOptions, toUpstream);
      const sessionId = header(request.headers["mcp-session-id"]);
      const legacySessionId = sessionId === undefined ? legacySessionIdOf(request.url) : undefined;
      return toUpstream(request, reply, dest, replyOptions, { sessionId, legacySessionId });
    },
  });

  return app;
}
