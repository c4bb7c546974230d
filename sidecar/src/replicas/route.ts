import { unwrapSessionId } from "./session-id.js";

/**
 * Where a request goes among replicas:
 * - local: to this pod's upstream, with the session id the upstream minted (unchanged when foreign);
 * - peer: to the sidecar of the replica that holds the session, once (the hop header marks it);
 * - gone: nowhere — the replica named is not among the live peers (deleted, scaled down) or the
 *   request was already forwarded once: the client gets the protocol's answer for an unknown session.
 */
export type ReplicaRoute =
  | { to: "local"; upstreamSessionId: string | undefined }
  | { to: "peer"; replicaIp: string }
  | { to: "gone"; replicaIp: string; why: "not_a_peer" | "already_forwarded" };

export interface RouteInput {
  /** The client's Mcp-Session-Id, or the legacy sessionId query parameter; undefined when stateless. */
  clientSessionId: string | undefined;
  /** This replica's canonical IP. */
  selfIp: string;
  /** The request came from another replica's sidecar (the hop header is present). */
  forwarded: boolean;
  /** Whether an IP is one of this McpServer's live replicas; asked only for another replica's IP. */
  isPeer: (replicaIp: string) => boolean;
}

/** The routing decision for one request. Pure: the caller resolves the peer set beforehand. */
export function routeRequest(input: RouteInput): ReplicaRoute {
  const { clientSessionId } = input;
  if (clientSessionId === undefined) return { to: "local", upstreamSessionId: undefined };
  const parsed = unwrapSessionId(clientSessionId);
  // An id no replica minted (a session from before routing was on): the upstream decides.
  if (parsed === undefined) return { to: "local", upstreamSessionId: clientSessionId };
  if (parsed.replicaIp === input.selfIp) return { to: "local", upstreamSessionId: parsed.upstreamSessionId };
  // Never a second hop: the replica a peer forwarded to must hold the session itself.
  if (input.forwarded) return { to: "gone", replicaIp: parsed.replicaIp, why: "already_forwarded" };
  // Only live replicas of this McpServer are ever connected to: a client-chosen id cannot aim elsewhere.
  if (!input.isPeer(parsed.replicaIp)) return { to: "gone", replicaIp: parsed.replicaIp, why: "not_a_peer" };
  return { to: "peer", replicaIp: parsed.replicaIp };
}

/** The replica IP a request's session names, when it names another replica (the peer set is needed then). */
export function otherReplicaOf(clientSessionId: string | undefined, selfIp: string): string | undefined {
  if (clientSessionId === undefined) return undefined;
  const ip = unwrapSessionId(clientSessionId)?.replicaIp;
  return ip === selfIp ? undefined : ip;
}
