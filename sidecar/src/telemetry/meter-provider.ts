import { PrometheusExporter } from "@opentelemetry/exporter-prometheus";
import { resourceFromAttributes } from "@opentelemetry/resources";
import { MeterProvider, type MetricReader, PeriodicExportingMetricReader } from "@opentelemetry/sdk-metrics";

export interface MetricsExportOptions {
  serviceName: string;
  resourceAttributes: Record<string, string>;
  prometheus: { host: string; port: number };
  /** OTLP/HTTP metrics URL (…/v1/metrics); no push when undefined. */
  otlpMetricsUrl: string | undefined;
  exportIntervalMs: number;
}

export interface MetricsPipeline {
  meterProvider: MeterProvider;
  /** Resolves once /metrics is listening. */
  ready: Promise<void>;
  shutdown(): Promise<void>;
}

/**
 * One MeterProvider, two readers: Prometheus pull on its own port and, optionally, OTLP/HTTP push.
 * The OTLP exporter (with the protobuf/JSON transformer and the log and trace SDKs it brings) is
 * loaded only when a push URL is configured: a pod without one does not pay its memory.
 */
export async function startMetricsPipeline(options: MetricsExportOptions): Promise<MetricsPipeline> {
  const otlpExporter = options.otlpMetricsUrl
    ? new (await import("@opentelemetry/exporter-metrics-otlp-http")).OTLPMetricExporter({
        url: options.otlpMetricsUrl,
      })
    : undefined;
  let resolveReady: () => void = () => {};
  let rejectReady: (error: Error) => void = () => {};
  const ready = new Promise<void>((resolve, reject) => {
    resolveReady = resolve;
    rejectReady = reject;
  });
  const prometheus = new PrometheusExporter(
    {
      host: options.prometheus.host,
      port: options.prometheus.port,
      endpoint: "/metrics",
      withoutScopeInfo: true,
    },
    (error) => (error ? rejectReady(error) : resolveReady()),
  );
  const readers: MetricReader[] = [prometheus];
  if (otlpExporter) {
    readers.push(
      new PeriodicExportingMetricReader({
        exporter: otlpExporter,
        exportIntervalMillis: options.exportIntervalMs,
        exportTimeoutMillis: Math.min(options.exportIntervalMs, 10_000),
      }),
    );
  }
  const meterProvider = new MeterProvider({
    resource: resourceFromAttributes({
      ...options.resourceAttributes,
      "service.name": options.serviceName,
    }),
    readers,
  });
  return {
    meterProvider,
    ready,
    async shutdown() {
      // shutdown() flushes the OTLP reader one last time before closing the /metrics server.
      await meterProvider.shutdown();
    },
  };
}
