import { type ServerResponse, STATUS_CODES } from "node:http";
import { PassThrough, pipeline } from "node:stream";
import httpProxy, { type FastifyHttpProxyOptions } from "@fastify/http-proxy";
import Fastify, {
  type FastifyBaseLogger,
  type FastifyInstance,
  type FastifyReply,
  type FastifyRequest,
  LogController,
} from "fastify";
import type { Logger } from "pino";
import { replicaHopHeader, sidecarRoutes } from "../contract.js";
import { SidecarErrorCode } from "../errors.js";
import type { UpstreamHealthReport } from "../health/upstream-health.js";
import type { ExchangeObserver } from "../observer/exchange-observer.js";
import { EndpointEventRewriter, withLegacySessionId } from "../replicas/endpoint-event.js";
import type { ReplicaPeers } from "../replicas/peers.js";
import { otherReplicaOf, routeRequest } from "../replicas/route.js";
import { wrapSessionId } from "../replicas/session-id.js";
import { observedStream } from "./observed-stream.js";
import { schemalessCompilers } from "./schemaless-compilers.js";
import {
  answerForRefusedRequest,
  answerForReplicaGone,
  answerForUpstreamFailure,
  ClientGoneError,
  errorCodeOf,
  refusalOfClientError,
  type SidecarAnswer,
  UpstreamHeadTimeoutError,
} from "./upstream-error.js";
import { createUpstreamPool, peerOrigin, upstreamSignal } from "./upstream-pool.js";

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

/** Session routing among the replicas of one McpServer (see replicas/). */
export interface ReplicaRouting {
  /** This replica's canonical pod IP. */
  selfIp: string;
  /** replicaTagOf(selfIp): the prefix of the session ids this replica hands out. */
  tag: string;
  /** The sidecar port on every replica (one pod template). */
  port: number;
  peers: ReplicaPeers;
  /** Counts a request handed to a peer (mcp_replica_forwards_total). */
  forwarded(): void;
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

  if (deps.replicas) {
    // Draining (the pod is going away): its sessions end with it, so a request for one gets the
    // protocol's unknown-session answer at once and its client starts anew on another replica. Other
    // requests get fastify's 503, as without replicas, for the Service to send elsewhere.
    let draining = false;
    app.addHook("preClose", async () => {
      draining = true;
    });
    const selfIp = deps.replicas.selfIp;
    // preHandler: after the body is read, so the answer carries each request's id.
    app.addHook("preHandler", async (request, reply) => {
      if (!draining) return;
      const sessionId = header(request.headers["mcp-session-id"]) ?? legacySessionIdOf(request.url);
      if (sessionId === undefined) {
        reply.code(503).header("content-type", "application/json").send(drainingAnswer);
        return reply;
      }
      return answerReplicaGone(request, reply, Buffer.isBuffer(request.body) ? request.body : undefined, selfIp);
    });
  }

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

  const routing = deps.replicas;
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
    const body = Buffer.isBuffer(request.body) ? request.body : undefined;
    const exchange = observer.begin({
      httpMethod: request.method,
      sessionId: session.sessionId,
      legacySessionId: session.legacySessionId,
      protocolVersion: header(request.headers["mcp-protocol-version"]),
      traceContext: {
        traceparent: header(request.headers.traceparent),
        tracestate: header(request.headers.tracestate),
      },
      body,
    });
    const { cancel, clientGone, headTimer } = upstreamCancellation(reply);
    // A legacy SSE stream (a GET without a session) announces its session id in its endpoint event.
    const rewriteEndpoint =
      wrapForClient !== undefined &&
      request.method === "GET" &&
      session.sessionId === undefined &&
      session.legacySessionId === undefined;
    return reply.from(dest, {
      ...replyOptions,
      ...(session.legacySessionId !== undefined && session.legacyQueryChanged
        ? {
            queryString: (_search: string | undefined, url: string) =>
              withLegacySessionId(rawQuery(url), session.legacySessionId as string),
          }
        : {}),
      rewriteRequestHeaders: (_request: unknown, headers: Record<string, unknown>) => ({
        ...headers,
        ...(session.sessionId !== undefined ? { "mcp-session-id": session.sessionId } : {}),
        [upstreamSignal]: cancel.signal,
      }),
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
        const eventStream = isEventStream(headers["content-type"]);
        if (rewriteEndpoint && eventStream && wrapForClient) {
          const rewritten = new EndpointEventRewriter(wrapForClient);
          pipeline(response.stream, tapped, rewritten, () => {});
          upstreamReply.send(rewritten);
        } else {
          pipeline(response.stream, tapped, () => {});
          upstreamReply.send(tapped);
        }
        if (eventStream) flushHeadersSoon(upstreamReply);
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
  }

  /**
   * Hands a request to the replica that holds its session, byte-exact (headers, query and body as
   * received, plus the hop header). Unobserved here: that replica's sidecar counts it.
   */
  function toPeer(request: FastifyRequest, reply: FastifyReply, dest: string, replyOptions: object, replicaIp: string) {
    const body = Buffer.isBuffer(request.body) ? request.body : undefined;
    const origin = `http://${replicaIp.includes(":") ? `[${replicaIp}]` : replicaIp}:${routing?.port}`;
    const { cancel, clientGone, headTimer } = upstreamCancellation(reply);
    return reply.from(dest, {
      ...replyOptions,
      rewriteRequestHeaders: (_request: unknown, headers: Record<string, unknown>) => ({
        ...headers,
        [upstreamSignal]: cancel.signal,
        [peerOrigin]: origin,
      }),
      ...bodyOptions(request, body),
      onResponse(_request, peerReply, response) {
        clearTimeout(headTimer);
        routing?.forwarded();
        const headers = (response as unknown as { headers: Record<string, string | string[] | undefined> }).headers;
        // pipeline, as for the upstream: a client that leaves ends the peer request too.
        const relayed = new PassThrough();
        pipeline(response.stream, relayed, () => {});
        peerReply.send(relayed);
        if (isEventStream(headers["content-type"])) flushHeadersSoon(peerReply);
      },
      onError(errorReply, { error }) {
        clearTimeout(headTimer);
        if (clientGone()) return;
        if (error instanceof UpstreamHeadTimeoutError || errorCodeOf(error) === SidecarErrorCode.upstreamTimeout) {
          // The peer took the request but did not answer in time: it is alive, its upstream is slow.
          const answer = answerForUpstreamFailure(error, `replica ${replicaIp}`, body);
          observer.rejected(answer.reason, answer.errorType);
          sendAnswer(errorReply as FastifyReply, answer);
          return;
        }
        // No connection to the replica: it is gone (deleted, scaled down) and its sessions with it.
        request.log.info(
          { err: error, replica: replicaIp, code: SidecarErrorCode.replicaGone },
          "session's replica is gone",
        );
        answerReplicaGone(request, errorReply as FastifyReply, body, replicaIp);
      },
    } as Parameters<FastifyReply["from"]>[1]);
  }

  function answerReplicaGone(
    request: FastifyRequest,
    reply: FastifyReply,
    body: Buffer | undefined,
    replicaIp: string,
  ) {
    const answer = answerForReplicaGone(body, replicaIp);
    observer
      .begin({
        httpMethod: request.method,
        sessionId: undefined,
        legacySessionId: undefined,
        protocolVersion: header(request.headers["mcp-protocol-version"]),
        traceContext: { traceparent: undefined, tracestate: undefined },
        body,
      })
      .answeredBySidecar(answer.reason, answer.errorType);
    sendAnswer(reply, answer);
    return reply;
  }

  /** The upstream (or peer) request ends when its client goes and when no head came within the time-out. */
  function upstreamCancellation(reply: { raw: unknown }) {
    const raw = reply.raw as ServerResponse;
    const cancel = new AbortController();
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
    return { cancel, clientGone, headTimer };
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
      const sessionId = header(request.headers["mcp-session-id"]);
      const legacySessionId = sessionId === undefined ? legacySessionIdOf(request.url) : undefined;
      if (!routing) return toUpstream(request, reply, dest, replyOptions, { sessionId, legacySessionId });
      const clientSessionId = sessionId ?? legacySessionId;
      const forwarded = request.headers[replicaHopHeader] !== undefined;
      const dispatch = (live: boolean) => {
        const route = routeRequest({ clientSessionId, selfIp: routing.selfIp, forwarded, isPeer: () => live });
        if (route.to === "peer") return toPeer(request, reply, dest, replyOptions, route.replicaIp);
        if (route.to === "gone") {
          const body = Buffer.isBuffer(request.body) ? request.body : undefined;
          return answerReplicaGone(request, reply, body, route.replicaIp);
        }
        const upstreamId = route.upstreamSessionId;
        return toUpstream(request, reply, dest, replyOptions, {
          sessionId: sessionId === undefined ? undefined : upstreamId,
          legacySessionId: legacySessionId === undefined ? undefined : upstreamId,
          legacyQueryChanged: legacySessionId !== undefined && upstreamId !== legacySessionId,
        });
      };
      const other = forwarded ? undefined : otherReplicaOf(clientSessionId, routing.selfIp);
      // The peer set is read (and looked up again when stale) only for another replica's session.
      if (other === undefined) return dispatch(false);
      return routing.peers.isPeer(other).then(dispatch);
    },
  });

  return app;
}

interface LocalSession {
  /** The Mcp-Session-Id the upstream minted (sent to it in place of the client's). */
  sessionId: string | undefined;
  /** The legacy sessionId the upstream minted. */
  legacySessionId: string | undefined;
  /** The client's query named the session otherwise: send the upstream its own id. */
  legacyQueryChanged?: boolean;
}

/** What fastify answers a draining server's requests (return503OnClosing), for those without a session. */
const drainingAnswer = '{"error":"Service Unavailable","message":"Service Unavailable","statusCode":503}';

/** A connection to another replica taking longer than this means the replica is gone. */
const peerConnectTimeoutMs = 2_000;

function bodyOptions(request: FastifyRequest, body: Buffer | undefined) {
  return body === undefined
    ? {}
    : { body, contentType: header(request.headers["content-type"]) ?? "application/octet-stream" };
}

/**
 * fastify writes a stream's headers with its first chunk; an SSE stream may stay quiet for minutes
 * and clients wait for the headers. Flush them if no chunk went out by the next turn of the loop (an
 * answer that follows at once costs no extra write).
 */
function flushHeadersSoon(reply: { raw: unknown }): void {
  const raw = reply.raw as ServerResponse;
  setImmediate(() => {
    if (!raw.headersSent && !raw.destroyed && raw.hasHeader("content-type")) raw.flushHeaders();
  });
}

function isEventStream(contentType: string | string[] | undefined): boolean {
  return header(contentType)?.toLowerCase().startsWith("text/event-stream") ?? false;
}

function legacySessionIdOf(url: string): string | undefined {
  const query = rawQuery(url);
  if (!query.includes("sessionId=")) return undefined;
  return new URLSearchParams(query).get("sessionId") ?? undefined;
}
