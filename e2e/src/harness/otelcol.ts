import { spawn } from "node:child_process";
import { fileURLToPath } from "node:url";
import { freePort, type RunningProcess, stopProcess, waitForOutput } from "@mcpscope/sidecar/testing";
import { retryOnPortClash } from "./port-retry.js";

/** The collector config the chart and compose ship: the tests run exactly that file. */
export const collectorConfigPath = fileURLToPath(
  new URL("../../../charts/mcpscope/files/otel-collector-config.yaml", import.meta.url),
);

/** Merged over it where a Jaeger runs beside the collector (the chart with tracing.jaeger.enabled). */
export const collectorJaegerConfigPath = fileURLToPath(
  new URL("../../../charts/mcpscope/files/otel-collector-jaeger.yaml", import.meta.url),
);

/** Merged over both by the traces test: spans also go as OTLP/JSON to the test's own receiver. */
const collectorTestReceiverConfigPath = fileURLToPath(new URL("./otel-collector-test-receiver.yaml", import.meta.url));

export interface RunningCollector extends RunningProcess {
  /** OTLP/HTTP base URL for OTEL_EXPORTER_OTLP_ENDPOINT. */
  otlpHttpUrl: string;
  /** The Prometheus exporter's scrape URL. */
  metricsUrl: string;
  prometheusPort: number;
  /** Everything the collector wrote so far (its logs, and what the debug exporter prints). */
  output(): string;
}

/** Where the collector sends traces besides its debug exporter. */
export interface CollectorTraceTargets {
  /** host:port of a Jaeger's OTLP/gRPC receiver: the chart's Jaeger overlay. */
  jaegerOtlpGrpc?: string;
  /** Base URL of the test's own OTLP/HTTP receiver (needs jaegerOtlpGrpc: its overlay extends Jaeger's). */
  testReceiver?: string;
}

/**
 * Runs the real OpenTelemetry Collector built by e2e/tools/setup.sh on free loopback ports; with
 * `jaegerOtlpGrpc`, also the chart's Jaeger overlay sending traces there.
 */
export function startCollector(
  binary: string,
  env: Record<string, string> = {},
  options: CollectorTraceTargets = {},
): Promise<RunningCollector> {
  return retryOnPortClash(() => startCollectorOnce(binary, env, options));
}

async function startCollectorOnce(
  binary: string,
  env: Record<string, string>,
  options: CollectorTraceTargets,
): Promise<RunningCollector> {
  const [otlpHttp, otlpGrpc, prometheusPort] = [await freePort(), await freePort(), await freePort()];
  const configs = [
    collectorConfigPath,
    ...(options.jaegerOtlpGrpc ? [collectorJaegerConfigPath] : []),
    ...(options.testReceiver ? [collectorTestReceiverConfigPath] : []),
  ];
  const child = spawn(
    binary,
    configs.map((path) => `--config=${path}`),
    {
      env: {
        ...process.env,
        ...(options.jaegerOtlpGrpc ? { OTELCOL_JAEGER_ENDPOINT: options.jaegerOtlpGrpc } : {}),
        ...(options.testReceiver ? { OTELCOL_TEST_OTLP_ENDPOINT: options.testReceiver } : {}),
        OTELCOL_OTLP_HTTP_ENDPOINT: `127.0.0.1:${otlpHttp}`,
        OTELCOL_OTLP_GRPC_ENDPOINT: `127.0.0.1:${otlpGrpc}`,
        OTELCOL_PROMETHEUS_ENDPOINT: `127.0.0.1:${prometheusPort}`,
        ...env,
      },
      stdio: ["ignore", "pipe", "pipe"],
    },
  );
  let output = "";
  const collect = (chunk: Buffer) => {
    output += chunk.toString();
  };
  child.stdout?.on("data", collect);
  child.stderr?.on("data", collect);
  await waitForOutput(child, /Everything is ready/, 30_000, "otelcol");
  return {
    url: `http://127.0.0.1:${otlpHttp}`,
    port: otlpHttp,
    child,
    otlpHttpUrl: `http://127.0.0.1:${otlpHttp}`,
    metricsUrl: `http://127.0.0.1:${prometheusPort}/metrics`,
    prometheusPort,
    output: () => output,
    stop: () => stopProcess(child),
  };
}
