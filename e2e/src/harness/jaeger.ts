import { spawn } from "node:child_process";
import { fileURLToPath } from "node:url";
import { freePort, type RunningProcess, stopProcess, waitForOutput } from "@mcpscope/sidecar/testing";
import { retryOnPortClash } from "./port-retry.js";

/** The Jaeger config the chart and compose ship: the tests run exactly that file. */
export const jaegerConfigPath = fileURLToPath(
  new URL("../../../charts/mcpscope/files/jaeger-config.yaml", import.meta.url),
);

export interface RunningJaeger extends RunningProcess {
  /** host:port of its OTLP/gRPC receiver, for the collector's otlp/jaeger exporter. */
  otlpGrpcEndpoint: string;
  /** Base URL of the query API (and UI), e.g. http://127.0.0.1:PORT */
  queryUrl: string;
}

/** Runs Jaeger v2 built by e2e/tools/setup.sh, with the chart's config, on free loopback ports. */
export function startJaeger(binary: string): Promise<RunningJaeger> {
  return retryOnPortClash(() => startJaegerOnce(binary));
}

async function startJaegerOnce(binary: string): Promise<RunningJaeger> {
  const [otlpGrpc, otlpHttp, query, queryGrpc, health] = await Promise.all([
    freePort(),
    freePort(),
    freePort(),
    freePort(),
    freePort(),
  ]);
  const child = spawn(binary, [`--config=${jaegerConfigPath}`], {
    env: {
      PATH: process.env.PATH ?? "",
      JAEGER_OTLP_GRPC_ENDPOINT: `127.0.0.1:${otlpGrpc}`,
      JAEGER_OTLP_HTTP_ENDPOINT: `127.0.0.1:${otlpHttp}`,
      JAEGER_QUERY_HTTP_ENDPOINT: `127.0.0.1:${query}`,
      JAEGER_QUERY_GRPC_ENDPOINT: `127.0.0.1:${queryGrpc}`,
      JAEGER_HEALTH_ENDPOINT: `127.0.0.1:${health}`,
    },
    stdio: ["ignore", "pipe", "pipe"],
  });
  await waitForOutput(child, /Everything is ready/, 30_000, "jaeger");
  return {
    url: `http://127.0.0.1:${query}`,
    port: query,
    child,
    otlpGrpcEndpoint: `127.0.0.1:${otlpGrpc}`,
    queryUrl: `http://127.0.0.1:${query}`,
    stop: () => stopProcess(child),
  };
}

/** A span as Jaeger's query API (/api/traces) returns it, with its tags as a record. */
export interface JaegerSpan {
  traceId: string;
  spanId: string;
  operationName: string;
  /** The CHILD_OF reference's span id, or "" for a root span. */
  parentSpanId: string;
  serviceName: string;
  tags: Record<string, string | number | boolean>;
}

interface JaegerTraceData {
  spans: Array<{
    traceID: string;
    spanID: string;
    operationName: string;
    references?: Array<{ refType: string; spanID: string }>;
    processID: string;
    tags?: Array<{ key: string; value: string | number | boolean }>;
  }>;
  processes: Record<string, { serviceName: string }>;
}

function spansOf(traces: JaegerTraceData[]): JaegerSpan[] {
  return traces.flatMap((trace) =>
    trace.spans.map((span) => ({
      traceId: span.traceID,
      spanId: span.spanID,
      operationName: span.operationName,
      parentSpanId: span.references?.find((r) => r.refType === "CHILD_OF")?.spanID ?? "",
      serviceName: trace.processes[span.processID]?.serviceName ?? "",
      tags: Object.fromEntries((span.tags ?? []).map((t) => [t.key, t.value])),
    })),
  );
}

async function getData<T>(url: string): Promise<T | undefined> {
  const response = await fetch(url);
  if (response.status === 404) return undefined;
  if (!response.ok) throw new Error(`GET ${url}: ${response.status} ${await response.text()}`);
  return ((await response.json()) as { data: T }).data;
}

/** The spans of one trace (GET /api/traces/{id}); empty until Jaeger has it. */
export async function jaegerTrace(queryUrl: string, traceId: string): Promise<JaegerSpan[]> {
  return spansOf((await getData<JaegerTraceData[]>(`${queryUrl}/api/traces/${traceId}`)) ?? []);
}

/** The services Jaeger has spans from (GET /api/services). */
export async function jaegerServices(queryUrl: string): Promise<string[]> {
  return (await getData<string[] | null>(`${queryUrl}/api/services`)) ?? [];
}

/** Recent spans of a service, optionally of one operation (GET /api/traces?service=…). */
export async function jaegerSearch(queryUrl: string, service: string, operation?: string): Promise<JaegerSpan[]> {
  const query = new URLSearchParams({ service, limit: "100", lookback: "1h" });
  if (operation) query.set("operation", operation);
  return spansOf((await getData<JaegerTraceData[]>(`${queryUrl}/api/traces?${query}`)) ?? []);
}
