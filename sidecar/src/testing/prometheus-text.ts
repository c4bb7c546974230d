import parsePrometheusTextFormat from "parse-prometheus-text-format";

export interface MetricPoint {
  name: string;
  labels: Record<string, string>;
  value: number;
}

interface ParsedFamily {
  name: string;
  type: string;
  metrics: Array<{
    labels?: Record<string, string>;
    value?: string;
    count?: string;
    sum?: string;
    buckets?: Record<string, string>;
  }>;
}

/** Flattens Prometheus text exposition into samples (histograms as _bucket/_sum/_count, as PromQL sees them). */
export function parsePrometheusText(text: string): MetricPoint[] {
  const families = (parsePrometheusTextFormat as (t: string) => ParsedFamily[])(text);
  const points: MetricPoint[] = [];
  for (const family of families) {
    for (const metric of family.metrics) {
      const labels = metric.labels ?? {};
      if (family.type === "HISTOGRAM") {
        for (const [le, value] of Object.entries(metric.buckets ?? {})) {
          points.push({ name: `${family.name}_bucket`, labels: { ...labels, le }, value: Number(value) });
        }
        points.push({ name: `${family.name}_count`, labels, value: Number(metric.count) });
        points.push({ name: `${family.name}_sum`, labels, value: Number(metric.sum) });
      } else {
        points.push({ name: family.name, labels, value: Number(metric.value) });
      }
    }
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
