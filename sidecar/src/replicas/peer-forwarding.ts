import type { Readable } from "node:stream";
import type { FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import { replicaHopHeader } from "../contract.js";
import { SidecarErrorCode } from "../errors.js";
import type { ExchangeObserver } from "../observer/exchange-observer.js";
import { flushHeadersSoon, outgoingCancellation, sendAnswer } from "../proxy/reply-lifetime.js";
import { bodyOf, bodyOptions, header, isEventStream, legacySessionIdOf } from "../proxy/request-parts.js";
import {
  answerForReplicaGone,
  answerForUpstreamFailure,
  errorCodeOf,
  UpstreamHeadTimeoutError,
} from "../proxy/upstream-error.js";
import { peerOrigin, upstreamSignal } from "../proxy/upstream-pool.js";
import type { ReplicaPeers } from "./peers.js";
import { otherReplicaOf, routeRequest } from "./route.js";

/** Session routing among the replicas of one McpServer. */
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

/** A request this replica serves itself, with the ids its upstream minted (the client's carry a replica tag). */
export interface LocalSession {
  /** The Mcp-Session-Id the upstream minted (sent to it in place of the client's). */
  sessionId: string | undefined;
  /** The legacy sessionId the upstream minted. */
  legacySessionId: string | undefined;
  /** The client's query named the session otherwise: send the upstream its own id. */
  legacyQueryChanged?: boolean;
}

/** Sends a request to this pod's upstream (the proxy's own path). */
export type ToUpstream = (
  request: FastifyRequest,
  reply: FastifyReply,
  dest: string,
  replyOptions: object,
  session: LocalSession,
) => unknown;

export interface PeerForwardingDeps {
  observer: ExchangeObserver;
  /** MCP_UPSTREAM_TIMEOUT_MS: a peer is waited for as long as an upstream. */
  upstreamTimeoutMs: number;
}

/** The proxy's handler when replicated: every request goes local, to the peer holding its session, or gets 404. */
export type ReplicaDispatch = (
  request: FastifyRequest,
  reply: FastifyReply,
  dest: string,
  replyOptions: object,
  toUpstream: ToUpstream,
) => unknown;

/**
 * Routes each request of a replicated sidecar (route.ts decides, this module does the I/O): a
 * request for another replica's session is handed to that replica's sidecar once, byte-exact, and
 * not observed here (the answering sidecar counts it); a request for a session whose replica is gone,
 * or that reaches this replica while it drains, gets the protocol's unknown-session answer.
 */
export function installPeerForwarding(
  app: FastifyInstance,
  routing: ReplicaRouting,
  deps: PeerForwardingDeps,
): ReplicaDispatch {
  const { observer } = deps;

  // Draining (the pod is going away): its sessions end with it, so a request for one gets the
  // protocol's unknown-session answer at once and its client starts anew on another replica. Another
  // replica's session lives on: its request is still forwarded. Requests without a session get
  // fastify's 503, as without replicas, for the Service to send elsewhere.
  let draining = false;
  app.addHook("preClose", async () => {
    draining = true;
  });
  // preHandler: after the body is read, so the answer carries each request's id.
  app.addHook("preHandler", async (request, reply) => {
    if (!draining) return;
    const sessionId = header(request.headers["mcp-session-id"]) ?? legacySessionIdOf(request.url);
    if (sessionId === undefined) {
      reply.code(503).header("content-type", "application/json").send(drainingAnswer);
      return reply;
    }
    const forwarded = request.headers[replicaHopHeader] !== undefined;
    if (!forwarded && otherReplicaOf(sessionId, routing.selfIp) !== undefined) return;
    return answerReplicaGone(request, reply, routing.selfIp);
  });

  function answerReplicaGone(request: FastifyRequest, reply: FastifyReply, replicaIp: string) {
    const body = bodyOf(request);
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

  /** Hands a request to the replica that holds its session: headers, query and body as received, plus the hop header. */
  function toPeer(request: FastifyRequest, reply: FastifyReply, dest: string, replyOptions: object, replicaIp: string) {
    const body = bodyOf(request);
    const origin = `http://${replicaIp.includes(":") ? `[${replicaIp}]` : replicaIp}:${routing.port}`;
    const { signal, clientGone, headTimer } = outgoingCancellation(reply, deps.upstreamTimeoutMs);
    return reply.from(dest, {
      ...replyOptions,
      // reply-from's own copy of the client's headers, made for this request: changed in place (as toUpstream's).
      rewriteRequestHeaders: (_request: unknown, headers: Record<string, unknown>) => {
        (headers as Record<symbol, unknown>)[upstreamSignal] = signal;
        (headers as Record<symbol, unknown>)[peerOrigin] = origin;
        return headers;
      },
      ...bodyOptions(request, body),
      onResponse(_request, peerReply, response) {
        clearTimeout(headTimer);
        routing.forwarded();
        const { headers, stream } = response as unknown as {
          headers: Record<string, string | string[] | undefined>;
          stream: Readable;
        };
        // As for the upstream: fastify destroys the body if the client leaves, which ends the peer request too.
        peerReply.send(stream);
        if (isEventStream(headers["content-type"])) flushHeadersSoon(peerReply, stream);
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
        answerReplicaGone(request, errorReply as FastifyReply, replicaIp);
      },
    } as Parameters<FastifyReply["from"]>[1]);
  }

  return (request, reply, dest, replyOptions, toUpstream) => {
    const sessionId = header(request.headers["mcp-session-id"]);
    const legacySessionId = sessionId === undefined ? legacySessionIdOf(request.url) : undefined;
    const clientSessionId = sessionId ?? legacySessionId;
    const forwarded = request.headers[replicaHopHeader] !== undefined;
    const dispatch = (live: boolean) => {
      const route = routeRequest({ clientSessionId, selfIp: routing.selfIp, forwarded, isPeer: () => live });
      if (route.to === "peer") return toPeer(request, reply, dest, replyOptions, route.replicaIp);
      if (route.to === "gone") return answerReplicaGone(request, reply, route.replicaIp);
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
  };
}

/** What fastify answers a draining server's requests (return503OnClosing), for those without a session. */
const drainingAnswer = '{"error":"Service Unavailable","message":"Service Unavailable","statusCode":503}';

/** A connection to another replica taking longer than this means the replica is gone. */
export const peerConnectTimeoutMs = 2_000;
