import { isIP } from "node:net";
import ipaddr from "ipaddr.js";

/**
 * Session ids a replicated sidecar hands its clients name the replica that holds the session:
 * `mcps.<replica>.<upstream id>`, where <replica> is the pod IP's bytes in hex (8 digits for IPv4,
 * 32 for IPv6). Only the sidecar reads the prefix; upstreams see their own ids unchanged. Pure.
 */
export const replicaSessionPrefix = "mcps.";

/** A pod IP in its one canonical form, or undefined when `ip` is not an IP address. */
export function canonicalIp(ip: string): string | undefined {
  // node:net's strict forms only: ipaddr.js also takes "10.1" or "0xa.0.0.1".
  if (isIP(ip) === 0) return undefined;
  const parsed = ipaddr.parse(ip);
  // ::ffff:10.0.0.1 and 10.0.0.1 are one replica.
  if (parsed.kind() === "ipv6" && (parsed as ipaddr.IPv6).isIPv4MappedAddress())
    return (parsed as ipaddr.IPv6).toIPv4Address().toString();
  return parsed.toString();
}

function hexOfIp(ip: string): string {
  return Buffer.from(ipaddr.parse(ip).toByteArray()).toString("hex");
}

function ipOfHex(hex: string): string | undefined {
  if (!/^(?:[0-9a-f]{8}|[0-9a-f]{32})$/.test(hex)) return undefined;
  return ipaddr.fromByteArray([...Buffer.from(hex, "hex")]).toString();
}

/** The replica's tag, computed once: `mcps.<hex>.`. Throws on a value that is not an IP (config checks it). */
export function replicaTagOf(podIp: string): string {
  const ip = canonicalIp(podIp);
  if (ip === undefined) throw new TypeError(`not an IP address: ${podIp}`);
  return `${replicaSessionPrefix}${hexOfIp(ip)}.`;
}

/** The id the client gets for a session the upstream minted behind the replica tagged `tag`. */
export function wrapSessionId(tag: string, upstreamSessionId: string): string {
  return `${tag}${upstreamSessionId}`;
}

export interface ReplicaSessionId {
  /** Canonical IP of the replica that minted the session. */
  replicaIp: string;
  /** The id its upstream minted, as the upstream wants it back. */
  upstreamSessionId: string;
}

/** Reads a client's session id; undefined for an id no replica minted (passed on unchanged). */
export function unwrapSessionId(clientSessionId: string): ReplicaSessionId | undefined {
  if (!clientSessionId.startsWith(replicaSessionPrefix)) return undefined;
  const rest = clientSessionId.slice(replicaSessionPrefix.length);
  const dot = rest.indexOf(".");
  if (dot < 0) return undefined;
  const replicaIp = ipOfHex(rest.slice(0, dot));
  const upstreamSessionId = rest.slice(dot + 1);
  if (replicaIp === undefined || upstreamSessionId === "") return undefined;
  return { replicaIp, upstreamSessionId };
}
