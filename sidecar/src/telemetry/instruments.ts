import type { Attributes, Meter } from "@opentelemetry/api";
import type { Outcome } from "../mcp/results.js";
import {
  Attr,
  durationBucketsSeconds,
  MetricName,
  type SidecarErrorReason,
  semconvErrorAttributes,
  sessionBucketsSeconds,
} from "./semconv.js";

/** One answered (or failed) JSON-RPC request or notification, with bounded label values already chosen. */
export interface RecordedExchange {
  method: string;
  /** Set for tools/call: an announced tool name or "other". */
  toolName?: string | undefined;
  outcome: Outcome;
  durationSeconds: number;
  /** mcp.protocol.version: a known revision or "other"; undefined when the request named none. */
  protocolVersion?: string | undefined;
  /** network.transport of the server hop: tcp, or pipe for a stdio server. */
  networkTransport?: "tcp" | "pipe";
}

/** Long-lived streams: Streamable HTTP GET, legacy HTTP+SSE, 2026-07-28 subscriptions/listen. */
export type StreamKind = "get" | "legacy_sse" | "listen";

export interface McpInstruments {
  recordExchange(exchange: RecordedExchange): void;
  sessionStarted(): void;
  sessionEnded(durationSeconds: number): void;
  streamOpened(kind: StreamKind): void;
  streamClosed(kind: StreamKind, durationSeconds: number): void;
  recordSidecarError(reason: SidecarErrorReason): void;
  /** A request handed to the replica that holds its session. */
  replicaForwarded(): void;
  /** mcp_upstream_up, read from `isUp` at each collection (undefined: no check has run yet). */
  observeUpstreamUp(isUp: () => boolean | undefined): void;
}

/** Every instrument the sidecar records, created from an injected Meter so tests can read an in-memory reader. */
export function createMcpInstruments(meter: Meter, serverName: string): McpInstruments {
  const requests = meter.createCounter(MetricName.requests, {
    description: "MCP JSON-RPC requests and notifications received from clients, by method, outcome and error type",
  });
  const toolCalls = meter.createCounter(MetricName.toolCalls, {
    description: "MCP tools/call requests, by tool and outcome",
  });
  const requestDuration = meter.createHistogram(MetricName.requestDuration, {
    description: "Time from a request reaching the sidecar to its JSON-RPC response being seen",
    unit: "s",
    advice: { explicitBucketBoundaries: durationBucketsSeconds },
  });
  const operationDuration = meter.createHistogram(MetricName.serverOperationDuration, {
    description: "MCP request duration as seen at the server (OTel MCP semantic conventions)",
    unit: "s",
    advice: { explicitBucketBoundaries: durationBucketsSeconds },
  });
  const sessionsActive = meter.createUpDownCounter(MetricName.sessionsActive, {
    description: "MCP sessions currently open through the sidecar (protocol revisions with sessions only)",
  });
  const sessionDuration = meter.createHistogram(MetricName.serverSessionDuration, {
    description: "Duration of ended MCP sessions (OTel MCP semantic conventions)",
    unit: "s",
    advice: { explicitBucketBoundaries: sessionBucketsSeconds },
  });
  const streamsActive = meter.createUpDownCounter(MetricName.streamsActive, {
    description: "Long-lived MCP streams open through the sidecar, by kind (get, legacy_sse, listen)",
  });
  const streamDuration = meter.createHistogram(MetricName.streamDuration, {
    description: "Lifetime of ended MCP streams, by kind: kept out of request latency",
    unit: "s",
    advice: { explicitBucketBoundaries: sessionBucketsSeconds },
  });
  const sidecarErrors = meter.createCounter(MetricName.sidecarErrors, {
    description: "Exchanges the sidecar answered itself or could not observe, by reason",
  });
  const replicaForwards = meter.createCounter(MetricName.replicaForwards, {
    description:
      "Requests handed to the replica that holds their session; that replica's sidecar counts them in mcp_requests_total",
  });
  const upstreamUp = meter.createObservableGauge(MetricName.upstreamUp, {
    description: "1 when the upstream answered the last health probe (server/discover, or initialize + ping), else 0",
  });

  const base = { [Attr.serverName]: serverName };
  return {
    recordExchange({ method, toolName, outcome, durationSeconds, protocolVersion, networkTransport }) {
      const status = outcome.status;
      const labels: Attributes = { ...base, [Attr.method]: method, [Attr.status]: status };
      if (outcome.status === "error") labels[Attr.errorTypeLabel] = outcome.errorType;
      requests.add(1, labels);
      const semconv: Attributes = { ...base, [Attr.mcpMethodName]: method };
      if (protocolVersion !== undefined) semconv[Attr.mcpProtocolVersion] = protocolVersion;
      if (networkTransport !== undefined) semconv[Attr.networkTransport] = networkTransport;
      if (toolName !== undefined) {
        const toolLabels: Attributes = { ...base, [Attr.toolName]: toolName, [Attr.status]: status };
        if (outcome.status === "error") toolLabels[Attr.errorTypeLabel] = outcome.errorType;
        toolCalls.add(1, toolLabels);
        semconv[Attr.genAiToolName] = toolName;
      }
      Object.assign(semconv, semconvErrorAttributes(outcome));
      // A client that left before the answer measured nothing about the server.
      if (status === "cancelled") return;
      requestDuration.record(durationSeconds, { ...base, [Attr.method]: method });
      operationDuration.record(durationSeconds, semconv);
    },
    sessionStarted() {
      sessionsActive.add(1, base);
    },
    sessionEnded(durationSeconds) {
      sessionsActive.add(-1, base);
      sessionDuration.record(durationSeconds, base);
    },
    streamOpened(kind) {
      streamsActive.add(1, { ...base, [Attr.streamKind]: kind });
    },
    streamClosed(kind, durationSeconds) {
      streamsActive.add(-1, { ...base, [Attr.streamKind]: kind });
      streamDuration.record(durationSeconds, { ...base, [Attr.streamKind]: kind });
    },
    recordSidecarError(reason) {
      sidecarErrors.add(1, { ...base, [Attr.reason]: reason });
    },
    replicaForwarded() {
      replicaForwards.add(1, base);
    },
    observeUpstreamUp(isUp) {
      upstreamUp.addCallback((result) => {
        const up = isUp();
        if (up !== undefined) result.observe(up ? 1 : 0, base);
      });
    },
  };
}
