import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";

/** A span as an OTLP/JSON export carries it, with its enums named as the collector's debug exporter names them. */
export interface ReceivedSpan {
  traceId: string;
  /** "" for a root span. */
  parentId: string;
  name: string;
  kind: string;
  statusCode: string;
  statusMessage: string;
  /** Every attribute's value as a string (OTLP/JSON writes 64-bit integers as strings anyway). */
  attributes: Record<string, string>;
}

export interface RunningOtlpReceiver {
  /** Base URL: the collector's otlphttp exporter or an SDK's OTEL_EXPORTER_OTLP_ENDPOINT. */
  url: string;
  /** Every span received in an OTLP/JSON traces export, in order of arrival. */
  spans(): ReceivedSpan[];
  /** How many exports arrived on `path` (/v1/traces, /v1/metrics), in any encoding. */
  exports(path: string): number;
  close(): Promise<void>;
}

const spanKinds = ["Unspecified", "Internal", "Server", "Client", "Producer", "Consumer"];
const statusCodes = ["Unset", "Ok", "Error"];

interface OtlpAnyValue {
  stringValue?: string;
  intValue?: string | number;
  doubleValue?: number;
  boolValue?: boolean;
}
interface OtlpSpan {
  traceId?: string;
  parentSpanId?: string;
  name?: string;
  kind?: number;
  status?: { code?: number; message?: string };
  attributes?: Array<{ key: string; value?: OtlpAnyValue }>;
}
interface OtlpTracesExport {
  resourceSpans?: Array<{ scopeSpans?: Array<{ spans?: OtlpSpan[] }> }>;
}

/** The spans of one OTLP/JSON ExportTraceServiceRequest (pure: the wire format to plain values). */
export function spansOfExport(body: OtlpTracesExport): ReceivedSpan[] {
  return (body.resourceSpans ?? []).flatMap((resource) =>
    (resource.scopeSpans ?? []).flatMap((scope) =>
      (scope.spans ?? []).map((span) => ({
        traceId: span.traceId ?? "",
        parentId: span.parentSpanId ?? "",
        name: span.name ?? "",
        kind: spanKinds[span.kind ?? 0] ?? String(span.kind),
        statusCode: statusCodes[span.status?.code ?? 0] ?? String(span.status?.code),
        statusMessage: span.status?.message ?? "",
        attributes: Object.fromEntries(
          (span.attributes ?? []).map(({ key, value }) => [
            key,
            String(value?.stringValue ?? value?.intValue ?? value?.doubleValue ?? value?.boolValue ?? ""),
          ]),
        ),
      })),
    ),
  );
}

/**
 * The test's own OTLP/HTTP receiver on a free loopback port: counts every export by path and keeps
 * the spans of OTLP/JSON trace exports (what the collector's otlphttp exporter sends with
 * `encoding: json`). Answers each export as a success in the encoding it came in.
 */
export async function startOtlpReceiver(): Promise<RunningOtlpReceiver> {
  const spans: ReceivedSpan[] = [];
  const exports = new Map<string, number>();
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (chunk: Buffer) => chunks.push(chunk));
    req.on("end", () => {
      const path = new URL(req.url ?? "/", "http://receiver.invalid").pathname;
      exports.set(path, (exports.get(path) ?? 0) + 1);
      const json = (req.headers["content-type"] ?? "").startsWith("application/json");
      if (json && path === "/v1/traces") spans.push(...spansOfExport(JSON.parse(Buffer.concat(chunks).toString())));
      // An empty message is a full success in both encodings (no partial_success).
      res
        .writeHead(200, { "content-type": json ? "application/json" : "application/x-protobuf" })
        .end(json ? "{}" : "");
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    spans: () => [...spans],
    exports: (path) => exports.get(path) ?? 0,
    async close() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
