import { lookup } from "node:dns/promises";
import { canonicalIp } from "./session-id.js";

/**
 * The live replicas of this McpServer: the addresses of its headless peer Service (the operator
 * creates it; one A/AAAA record per pod) or a fixed list of IPs. Only these are ever connected to.
 */
export interface ReplicaPeers {
  /** Whether `replicaIp` (canonical) is a live replica; resolves the name again when the answer is stale. */
  isPeer(replicaIp: string): Promise<boolean>;
}

export interface ReplicaPeersOptions {
  /** A DNS name (the headless Service) or a comma-separated list of IPs. */
  source: string;
  /** Resolves a name to all its addresses; node's getaddrinfo by default (as every pod process resolves). */
  resolve?: (name: string) => Promise<string[]>;
  now?: () => number;
  /** An answer older than this is looked up again before use. */
  maxAgeMs?: number;
  /** An IP missing from an answer at least this old is looked up again: a new pod's sessions route at once. */
  missRefreshMs?: number;
}

const resolveAll = async (name: string) => (await lookup(name, { all: true })).map((a) => a.address);

/** Parses MCP_REPLICA_PEERS: a list of IPs when every entry is one, else a DNS name. */
export function staticPeerIps(source: string): string[] | undefined {
  const entries = source
    .split(",")
    .map((s) => s.trim())
    .filter((s) => s !== "");
  const ips = entries.map(canonicalIp);
  return entries.length > 0 && ips.every((ip) => ip !== undefined) ? (ips as string[]) : undefined;
}

export function replicaPeers(options: ReplicaPeersOptions): ReplicaPeers {
  const fixed = staticPeerIps(options.source);
  if (fixed) {
    const set = new Set(fixed);
    return { isPeer: async (ip) => set.has(ip) };
  }
  const resolve = options.resolve ?? resolveAll;
  const now = options.now ?? (() => performance.now());
  const maxAgeMs = options.maxAgeMs ?? 5_000;
  const missRefreshMs = options.missRefreshMs ?? 500;
  let known = new Set<string>();
  let resolvedAt = Number.NEGATIVE_INFINITY;
  let inFlight: Promise<void> | undefined;

  function refresh(): Promise<void> {
    inFlight ??= resolve(options.source)
      .then((addresses) => {
        known = new Set(addresses.map(canonicalIp).filter((ip): ip is string => ip !== undefined));
        resolvedAt = now();
      })
      // A failed lookup keeps the last answer (a DNS hiccup must not end every forwarded session)
      // and is tried again at the next miss.
      .catch(() => {})
      .finally(() => {
        inFlight = undefined;
      });
    return inFlight;
  }

  return {
    async isPeer(ip) {
      const age = now() - resolvedAt;
      if (age > maxAgeMs || (!known.has(ip) && age > missRefreshMs)) await refresh();
      return known.has(ip);
    },
  };
}
