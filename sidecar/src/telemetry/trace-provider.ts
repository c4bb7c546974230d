import { type Tracer, trace } from "@opentelemetry/api";

/** The standard OTEL_* variables that decide whether the sidecar exports traces. */
export interface TracingEnv {
  OTEL_SDK_DISABLED?: string | undefined;
  OTEL_TRACES_EXPORTER?: string | undefined;
  OTEL_EXPORTER_OTLP_ENDPOINT?: string | undefined;
  OTEL_EXPORTER_OTLP_TRACES_ENDPOINT?: string | undefined;
}

/**
 * Traces are on when the SDK is not disabled, OTEL_TRACES_EXPORTER is not "none", and there is
 * somewhere to send them: an OTLP endpoint, or an exporter named explicitly (e.g. console). Without
 * an endpoint the SDK's default would push to localhost:4318 and fail quietly forever. Pure.
 */
export function tracingEnabled(env: TracingEnv): boolean {
  if (env.OTEL_SDK_DISABLED?.trim().toLowerCase() === "true") return false;
  const exporters = (env.OTEL_TRACES_EXPORTER ?? "").split(",").map((e) => e.trim().toLowerCase());
  if (exporters.includes("none")) return false;
  const named = exporters.some((e) => e !== "" && e !== "otlp");
  return named || Boolean(env.OTEL_EXPORTER_OTLP_ENDPOINT || env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT);
}

export interface TracingPipeline {
  tracer: Tracer;
  shutdown(): Promise<void>;
}

/**
 * Starts @opentelemetry/sdk-node for traces only, configured by the standard OTEL_* environment
 * (exporter, endpoint, protocol, sampler, resource attributes). Metrics and logs stay the sidecar's
 * own pipeline, untouched. Loaded only when tracing is on: the SDK costs memory the sidecar does not
 * spend otherwise (npm run bench measures both).
 */
export async function startTracing(options: {
  serviceName: string;
  resourceAttributes: Record<string, string>;
  version: string;
}): Promise<TracingPipeline> {
  const [{ NodeSDK }, { resourceFromAttributes }] = await Promise.all([
    import("@opentelemetry/sdk-node"),
    import("@opentelemetry/resources"),
  ]);
  const sdk = new NodeSDK({
    serviceName: options.serviceName,
    resource: resourceFromAttributes(options.resourceAttributes),
    instrumentations: [],
    metricReaders: [],
    logRecordProcessors: [],
  });
  sdk.start();
  return {
    tracer: trace.getTracer("mcpscope-sidecar", options.version),
    shutdown: () => sdk.shutdown(),
  };
}
