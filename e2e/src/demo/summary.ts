import { type MetricPoint, sampleValue } from "@mcpscope/sidecar/testing";

export interface ServerSummary {
  server: string;
  requests: number;
  toolCalls: number;
  errorRate: number;
  p95Seconds: number | undefined;
}

/**
 * The quantile of a cumulative histogram, interpolated linearly inside the bucket as PromQL's
 * histogram_quantile does. `buckets` maps upper bounds (le) to cumulative counts.
 */
export function histogramQuantile(
  q: number,
  buckets: ReadonlyArray<{ le: number; count: number }>,
): number | undefined {
  const sorted = [...buckets].sort((a, b) => a.le - b.le);
  const total = sorted.at(-1)?.count ?? 0;
  if (total === 0) return undefined;
  const rank = q * total;
  let lowerBound = 0;
  let lowerCount = 0;
  for (const { le, count } of sorted) {
    if (count >= rank) {
      if (le === Number.POSITIVE_INFINITY) return lowerBound;
      const inBucket = count - lowerCount;
      return inBucket === 0 ? le : lowerBound + ((le - lowerBound) * (rank - lowerCount)) / inBucket;
    }
    lowerBound = le;
    lowerCount = count;
  }
  return lowerBound;
}

/** The four per-server questions — request rate, tool calls, error rate, p95 latency — answered from one scrape. */
export function summarize(server: string, points: MetricPoint[]): ServerSummary {
  const labels = { server_name: server };
  const requests = sampleValue(points, "mcp_requests_total", labels);
  const errors = sampleValue(points, "mcp_requests_total", { ...labels, status: "error" });
  const byLe = new Map<number, number>();
  for (const p of points) {
    if (p.name !== "mcp_request_duration_seconds_bucket" || p.labels.server_name !== server) continue;
    const le = p.labels.le === "+Inf" ? Number.POSITIVE_INFINITY : Number(p.labels.le);
    byLe.set(le, (byLe.get(le) ?? 0) + p.value);
  }
  return {
    server,
    requests,
    toolCalls: sampleValue(points, "mcp_tool_calls_total", labels),
    errorRate: requests === 0 ? 0 : errors / requests,
    p95Seconds: histogramQuantile(
      0.95,
      [...byLe].map(([le, count]) => ({ le, count })),
    ),
  };
}

export function formatTable(rows: ServerSummary[]): string {
  const header = ["server_name", "requests", "tool calls", "error rate", "p95 latency"];
  const body = rows.map((r) => [
    r.server,
    String(r.requests),
    String(r.toolCalls),
    `${(r.errorRate * 100).toFixed(1)} %`,
    r.p95Seconds === undefined ? "-" : `${(r.p95Seconds * 1000).toFixed(1)} ms`,
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...body.map((row) => (row[i] ?? "").length)));
  const line = (cells: string[]) =>
    cells.map((c, i) => (i === 0 ? c.padEnd(widths[i] ?? 0) : c.padStart(widths[i] ?? 0))).join("  ");
  return [line(header), widths.map((w) => "-".repeat(w)).join("  "), ...body.map(line)].join("\n");
}
