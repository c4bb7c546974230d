import type { ServerResponse } from "node:http";
import httpProxy from "@fastify/http-proxy";
import Fastify, {
  type FastifyBaseLogger,
  type FastifyInstance,
  type FastifyReply,
  type FastifyRequest,
  LogController,
} from "fastify";
import type { Logger } from "pino";
import type { UpstreamHealthReport } from "../health.js";
import type { ExchangeObserver, ObservedExchange } from "../observer/exchange-observer.js";
import { SidecarErrorReason } from "../telemetry/semconv.js";
import { observedStream } from "./observed-stream.js";
import { answerForRejectedBody, answerForUpstreamFailure, type SidecarAnswer } from "./upstream-error.js";

export interface ProxyOptions {
  upstreamUrl: string;
  /** What /health and error messages call the upstream (the URL, or the stdio command). */
  upstreamLabel: string;
  maxBodyBytes: number;
  upstreamTimeoutMs: number;
  connectTimeoutMs: number;
}

export interface ProxyDeps {
  observer: ExchangeObserver;
  health: { check(): Promise<UpstreamHealthReport> };
  logger: Logger;
}

declare module "fastify" {
  interface FastifyRequest {
    mcpExchange?: ObservedExchange;
  }
}

/** Routes the sidecar answers itself; everything else goes to the upstream. */
export const sidecarRoutes = { health: "/health", liveness: "/livez" } as const;

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
    // Streams (SSE) may stay open for hours; node's per-request timeout must not cut them.
    requestTimeout: 0,
    keepAliveTimeout: 72_000,
    return503OnClosing: true,
    routerOptions: { ignoreTrailingSlash: false, caseSensitive: true },
  });

  // Bodies are kept as raw bytes: forwarded exactly as received, parsed only as a copy by the observer.
  app.removeAllContentTypeParsers();
  app.addContentTypeParser("*", { parseAs: "buffer" }, (_request, body, done) => done(null, body));

  app.setErrorHandler((error: Error & { statusCode?: number; code?: string }, request, reply) => {
    const statusCode = error.statusCode && error.statusCode >= 400 && error.statusCode < 500 ? error.statusCode : 500;
    const answer = answerForRejectedBody(statusCode, `mcpscope: ${error.message}`);
    observer.rejected(answer.reason, answer.errorType);
    request.log.warn({ err: error, url: request.url }, "request refused by the sidecar");
    sendAnswer(reply, answer);
  });

  app.get(sidecarRoutes.liveness, async () => ({ status: "ok" }));
  app.get(sidecarRoutes.health, async (_request, reply) => {
    const report = await deps.health.check();
    reply.code(report.upstream.reachable ? 200 : 503);
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

  await app.register(httpProxy, {
    upstream: options.upstreamUrl,
    prefix: "/",
    proxyPayloads: false,
    disableRequestLogging: true,
    undici: {
      connections: 512,
      pipelining: 1,
      headersTimeout: options.upstreamTimeoutMs,
      // 0: an idle SSE stream is normal in MCP and must never be cut by undici's 300 s default.
      bodyTimeout: 0,
      connect: { timeout: options.connectTimeoutMs },
    },
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
        body,
      });
      request.mcpExchange = exchange;
      return reply.from(dest, {
        ...replyOptions,
        ...(body === undefined
          ? {}
          : {
              body,
              contentType: header(request.headers["content-type"]) ?? "application/octet-stream",
            }),
        onResponse(_request, upstreamReply, response) {
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
              end: () => exchange.responseEnd(),
            },
            (error) => {
              observer.options.instruments.recordSidecarError(SidecarErrorReason.observerFailure);
              request.log.error({ err: error }, "observer failed; the exchange continues unobserved");
            },
          );
          response.stream.on("error", (error: Error) => tapped.destroy(error));
          upstreamReply.send(response.stream.pipe(tapped));
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
          const answer = answerForUpstreamFailure(error, options.upstreamLabel, body);
          exchange.answeredBySidecar(answer.statusCode, answer.reason, answer.errorType);
          request.log.warn({ err: error, url: request.url }, "upstream failed");
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
