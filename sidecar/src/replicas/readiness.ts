import type { UpstreamHealthReport } from "../health/upstream-health.js";

/**
 * /health with session routing: a replica is ready only once the peer Service's answer lists it.
 * Cluster DNS caches that answer (CoreDNS `cache 30`), so for up to 30 s after a pod starts the other
 * replicas may not know it; were it ready, the Service would send it clients whose sessions the others
 * then refuse as gone. Its own lookup goes through the same DNS: once it sees itself, so do they. Pure.
 */
export function withReplicaListing(report: UpstreamHealthReport, listedByPeers: boolean): UpstreamHealthReport {
  return {
    ...report,
    status: report.status === "ok" && !listedByPeers ? "degraded" : report.status,
    replica: { listedByPeers },
  };
}
