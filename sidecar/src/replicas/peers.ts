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

/**
 * The DNS name of one endpoint of a headless Service: cluster DNS (CoreDNS's kubernetes plugin, as the
 * Kubernetes DNS specification asks) names each endpoint without a hostname by its IP with dashes,
 * `10-1-2-3.<service>`. Pure.
 */
export function endpointNameOf(ip: string, serviceName: string): string {
  return `${ip.replaceAll(/[.:]/g, "-")}.${serviceName}`;
}

/** Per-IP answers kept at most (a client naming many unknown replicas must not grow memory). */
const endpointAnswersKept = 256;

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
  // A new pod is missing from the Service's answer for as long as cluster DNS caches it (kubeadm's
  // CoreDNS: 30 s), while the Service already sends it clients. Its own endpoint name is a question
  // nobody asked before it existed, so its first answer is fresh: a miss is settled by asking it.
  const endpointAnswers = new Map<string, { at: number; listed: Promise<boolean> }>();

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

  function listedAlone(ip: string): Promise<boolean> {
    const cached = endpointAnswers.get(ip);
    if (cached) {
      const age = now() - cached.at;
      // A listed endpoint is trusted as long as a whole answer; an unlisted one asked again soon.
      if (age <= missRefreshMs) return cached.listed;
      if (age <= maxAgeMs) return cached.listed.then((listed) => listed || askAgain(ip));
    }
    return askAgain(ip);
  }

  function askAgain(ip: string): Promise<boolean> {
    const listed = resolve(endpointNameOf(ip, options.source)).then(
      (addresses) => addresses.some((address) => canonicalIp(address) === ip),
      // NXDOMAIN (not an endpoint) or a failed lookup: not confirmed.
      () => false,
    );
    endpointAnswers.delete(ip);
    endpointAnswers.set(ip, { at: now(), listed });
    if (endpointAnswers.size > endpointAnswersKept) {
      const oldest = endpointAnswers.keys().next().value as string;
      endpointAnswers.delete(oldest);
    }
    return listed;
  }

  return {
    async isPeer(ip) {
      const age = now() - resolvedAt;
      if (age > maxAgeMs || (!known.has(ip) && age > missRefreshMs)) await refresh();
      return known.has(ip) || listedAlone(ip);
    },
  };
}
