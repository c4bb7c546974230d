import { AggregationTemporality, DataPointType, MeterProvider, MetricReader } from "@opentelemetry/sdk-metrics";

class CollectingReader extends MetricReader {
  protected override async onForceFlush(): Promise<void> {}
  protected override async onShutdown(): Promise<void> {}
}

export interface CollectedPoint {
  name: string;
  attributes: Record<string, unknown>;
  /** Counter/gauge value, or a histogram's count. */
  value: number;
  /** Histogram sum. */
  sum?: number;
  /** Histogram bucket boundaries. */
  boundaries?: number[];
}

/** A real MeterProvider read through an in-memory reader: metric tests assert on what an exporter would get. */
export function inMemoryMetrics() {
  const reader = new CollectingReader({
    aggregationTemporalitySelector: () => AggregationTemporality.CUMULATIVE,
  });
  const meterProvider = new MeterProvider({ readers: [reader] });
  return {
    meter: meterProvider.getMeter("test"),
    async collect(): Promise<CollectedPoint[]> {
      const { resourceMetrics } = await reader.collect();
      const points: CollectedPoint[] = [];
      for (const scope of resourceMetrics.scopeMetrics) {
        for (const metric of scope.metrics) {
          for (const dp of metric.dataPoints) {
            if (metric.dataPointType === DataPointType.HISTOGRAM) {
              const value = dp.value as { count: number; sum?: number; buckets: { boundaries: number[] } };
              points.push({
                name: metric.descriptor.name,
                attributes: dp.attributes,
                value: value.count,
                sum: value.sum ?? 0,
                boundaries: value.buckets.boundaries,
              });
            } else {
              points.push({
                name: metric.descriptor.name,
                attributes: dp.attributes,
                value: dp.value as number,
              });
            }
          }
        }
      }
      return points;
    },
    shutdown: () => meterProvider.shutdown(),
  };
}

/** Points of one instrument, attributes sorted into a stable string for exact comparison. */
export function pointsOf(
  points: CollectedPoint[],
  name: string,
): Array<{ attributes: Record<string, unknown>; value: number }> {
  return points
    .filter((p) => p.name === name)
    .map((p) => ({ attributes: p.attributes, value: p.value }))
    .sort((a, b) => JSON.stringify(a.attributes).localeCompare(JSON.stringify(b.attributes)));
}
