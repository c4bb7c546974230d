export interface MetricPoint {
  name: string;
  labels: Record<string, string>;
  value: number;
}

const sampleLine = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})?\s+(\S+)(?:\s+\d+)?$/;
const labelPair = /([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g;

/**
 * Reads Prometheus text exposition into samples, exactly as PromQL names them (_bucket/_sum/_count).
 * Written here because parse-prometheus-text-format drops a histogram's labels, count and sum when
 * _count precedes _bucket, which is the order OpenTelemetry's exporter writes.
 */
export function parsePrometheusText(text: string): MetricPoint[] {
  const points: MetricPoint[] = [];
  for (const line of text.split("\n")) {
    if (line === "" || line.startsWith("#")) continue;
    const match = sampleLine.exec(line.trim());
    if (!match) throw new Error(`not a Prometheus sample line: ${line}`);
    const labels: Record<string, string> = {};
    for (const [, key, raw] of (match[2] ?? "").matchAll(labelPair)) {
      labels[key as string] = (raw as string).replace(/\\(["\\n])/g, (_, c: string) => (c === "n" ? "\n" : c));
    }
    points.push({ name: match[1] as string, labels, value: Number(match[3]) });
  }
  return points;
}

/** Scrapes a /metrics endpoint and returns its samples. */
export async function readMetrics(url: string): Promise<MetricPoint[]> {
  const response = await fetch(url);
  if (!response.ok) throw new Error(`GET ${url} answered ${response.status}`);
  return parsePrometheusText(await response.text());
}

/** The value of the one sample matching name and labels (a subset), or 0 when none matches. */
export function sampleValue(points: MetricPoint[], name: string, labels: Record<string, string> = {}): number {
  const matching = points.filter((p) => p.name === name && Object.entries(labels).every(([k, v]) => p.labels[k] === v));
  return matching.reduce((sum, p) => sum + p.value, 0);
}
