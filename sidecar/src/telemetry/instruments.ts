import type { Attributes, Meter } from "@opentelemetry/api";
import type { Outcome } from "../mcp/results.js";
import { Attr, durationBucketsSeconds, MetricName, type SidecarErrorReason, sessionBucketsSeconds } from "./semconv.js";

/** One answered (or failed) JSON-RPC request or notification, with bounded label values already chosen. */
export interface RecordedExchange {
  method: string;
  /** Set for tools/call: an announced tool name or "other". */
  toolName?: string | undefined;
  outcome: Outcome;
  durationSeconds: number;
}

export interface McpInstruments {
  recordExchange(exchange: RecordedExchange): void;
  sessionStarted(): void;
  sessionEnded(durationSeconds: number): void;
  recordSidecarError(reason: SidecarErrorReason): void;
}

/** Every instrument the sidecar records, created from an injected Meter so tests can read an in-memory reader. */
export function createMcpInstruments(meter: Meter, serverName: string): McpInstruments {
  const requests = meter.createCounter(MetricName.requests, {
    description: "MCP JSON-RPC requests and notifications received from clients, by method and outcome",
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
    description: "MCP sessions currently open through the sidecar",
  });
  const sessionDuration = meter.createHistogram(MetricName.serverSessionDuration, {
    description: "Duration of ended MCP sessions (OTel MCP semantic conventions)",
    unit: "s",
    advice: { explicitBucketBoundaries: sessionBucketsSeconds },
  });
  const sidecarErrors = meter.createCounter(MetricName.sidecarErrors, {
    description: "Exchanges the sidecar answered itself or could not observe, by reason",
  });

  const base = { [Attr.serverName]: serverName };
  return {
    recordExchange({ method, toolName, outcome, durationSeconds }) {
      const status = outcome.status;
      requests.add(1, {
        ...base,
        [Attr.method]: method,
        [Attr.status]: status,
      });
      requestDuration.record(durationSeconds, {
        ...base,
        [Attr.method]: method,
      });
      const semconv: Attributes = { ...base, [Attr.mcpMethodName]: method };
      if (toolName !== undefined) {
        toolCalls.add(1, {
          ...base,
          [Attr.toolName]: toolName,
          [Attr.status]: status,
        });
        semconv[Attr.genAiToolName] = toolName;
      }
      if (outcome.status === "error") semconv[Attr.errorType] = outcome.errorType;
      operationDuration.record(durationSeconds, semconv);
    },
    sessionStarted() {
      sessionsActive.add(1, base);
    },
    sessionEnded(durationSeconds) {
      sessionsActive.add(-1, base);
      sessionDuration.record(durationSeconds, base);
    },
    recordSidecarError(reason) {
      sidecarErrors.add(1, { ...base, [Attr.reason]: reason });
    },
  };
}
