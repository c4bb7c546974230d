import type { UpstreamHealthReport } from "../health/upstream-health.js";

/**
 * /health with session routing: a replica is ready only once the peer Service's answer lists it.
 * Cluster DNS caches that answer (CoreDNS `cache 30`), so for up to 30 s after a pod starts the other
 * replicas may not know it; were it ready, the Service would send it clients whose sessions the others
 * then refuse as gone. Its own lookup goes through the same DNS: once it sees itself, so do they.
 * Past `listingWaitMs` after start it is ready regardless: a peer Service that does not publish
 * not-ready addresses would otherwise never list it, and the pod would never be ready. Pure.
 */
export function withReplicaListing(
  report: UpstreamHealthReport,
  listedByPeers: boolean,
  sinceStartMs: number,
): UpstreamHealthReport {
  const waiting = !listedByPeers && sinceStartMs < listingWaitMs;
  return {
    ...report,
    status: report.status === "ok" && waiting ? "degraded" : report.status,
    replica: { listedByPeers },
  };
}

/** Longer than CoreDNS's default cache (30 s): by then every cached answer has been looked up again. */
export const listingWaitMs = 35_000;
