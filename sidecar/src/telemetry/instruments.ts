import type { Attributes, Meter } from "@opentelemetry/api";
import { statusCodeAttribute } from "../mcp/error-codes.js";
import type { Outcome } from "../mcp/results.js";
import { LabelSets } from "./label-sets.js";
import {
  Attr,
  ContextMetricName,
  durationBucketsSeconds,
  MetricName,
  operationDurationBucketsSeconds,
  resultTokenBuckets,
  type SidecarErrorReason,
  semconvErrorAttributesOf,
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
  /** What the server's tools and results cost a model's context. */
  readonly contextCost: ContextCostInstruments;
}

/** One label set of a counter the sidecar counts itself, read by the SDK at each collection. */
interface CountedSeries {
  readonly attributes: Attributes;
  count: number;
}

/**
 * A counter by `label`, status and error type that the sidecar counts in label sets of its own and the
 * SDK reads at each collection (an asynchronous counter): a record into the SDK costs an attribute
 * hash, a count here does not. Count with `.of([labelValue, status, errorType]).count += 1`.
 */
function countedByOutcome(
  meter: Meter,
  name: string,
  description: string,
  base: Attributes,
  label: string,
): LabelSets<CountedSeries> {
  const counts = new LabelSets<CountedSeries>(3, ([value, status, errorType]) => {
    const attributes: Attributes = { ...base, [label]: value, [Attr.status]: status };
    if (errorType !== undefined) attributes[Attr.errorTypeLabel] = errorType;
    return { attributes, count: 0 };
  });
  meter.createObservableCounter(name, { description }).addCallback((result) => {
    for (const series of counts.values()) result.observe(series.count, series.attributes);
  });
  return counts;
}

/** Every instrument the sidecar records, created from an injected Meter so tests can read an in-memory reader. */
export function createMcpInstruments(
  meter: Meter,
  serverName: string,
  /** mcp_request_duration_seconds' boundaries: the defaults plus any latency-objective threshold (slo-instruments.ts). */
  requestBucketsSeconds: number[] = durationBucketsSeconds,
  /** gen_ai.tool.name on the semconv duration histogram: its series times the tools (config toolLatency). */
  toolLatency = false,
): McpInstruments {
  const base = { [Attr.serverName]: serverName };
  const requestCounts = countedByOutcome(
    meter,
    MetricName.requests,
    "MCP JSON-RPC requests and notifications received from clients, by method, outcome and error type",
    base,
    Attr.method,
  );
  const toolCallCounts = countedByOutcome(
    meter,
    MetricName.toolCalls,
    "MCP tools/call requests, by tool and outcome",
    base,
    Attr.toolName,
  );
  const durationAttributes = new LabelSets<Attributes>(1, ([method]) => ({ ...base, [Attr.method]: method }));
  /** By method, protocol revision, transport, tool (when toolLatency), error type and JSON-RPC code. */
  const semconvAttributes = new LabelSets<Attributes>(
    6,
    ([method, protocolVersion, networkTransport, toolName, errorType, statusCode]) => {
      const attributes: Attributes = { ...base, [Attr.mcpMethodName]: method };
      if (protocolVersion !== undefined) attributes[Attr.mcpProtocolVersion] = protocolVersion;
      if (networkTransport !== undefined) attributes[Attr.networkTransport] = networkTransport;
      if (toolName !== undefined) attributes[Attr.genAiToolName] = toolName;
      return Object.assign(attributes, semconvErrorAttributesOf(errorType, statusCode));
    },
  );
  const requestDuration = meter.createHistogram(MetricName.requestDuration, {
    description: "Time from a request reaching the sidecar to its JSON-RPC response being seen",
    unit: "s",
    advice: { explicitBucketBoundaries: requestBucketsSeconds },
  });
  const operationDuration = meter.createHistogram(MetricName.serverOperationDuration, {
    description: "MCP request duration as seen at the server (OTel MCP semantic conventions)",
    unit: "s",
    advice: { explicitBucketBoundaries: operationDurationBucketsSeconds },
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

  return {
    contextCost: createContextCostInstruments(meter, serverName),
    recordExchange({ method, toolName, outcome, durationSeconds, protocolVersion, networkTransport }) {
      const status = outcome.status;
      const errorType = outcome.status === "error" ? outcome.errorType : undefined;
      requestCounts.of([method, status, errorType]).count += 1;
      if (toolName !== undefined) toolCallCounts.of([toolName, status, errorType]).count += 1;
      // A client that left before the answer measured nothing about the server.
      if (status === "cancelled") return;
      requestDuration.record(durationSeconds, durationAttributes.of([method]));
      const statusCode = outcome.status === "error" && outcome.code !== undefined ? outcome.code : undefined;
      operationDuration.record(
        durationSeconds,
        semconvAttributes.of([
          method,
          protocolVersion,
          networkTransport,
          toolLatency ? toolName : undefined,
          errorType,
          statusCode === undefined ? undefined : statusCodeAttribute(statusCode),
        ]),
      );
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

// --- Context cost -------------------------------------------------------------------------------

/** A complete tool catalogue, tool names already bounded as mcp_tool_calls_total's. */
export interface ListedCatalogue {
  tools: number;
  bytes: number;
  tokens: number;
  /** Estimated tokens by bounded tool name ("other" sums the tools past the bound). */
  definitionTokens: ReadonlyMap<string, number>;
}

export interface ContextCostInstruments {
  /** The server's latest complete catalogue: it replaces the previous one in every gauge (a tool gone reads 0). */
  catalogueListed(catalogue: ListedCatalogue): void;
  /** Estimated tokens of the server's instructions (initialize or server/discover). */
  instructionsSeen(tokens: number): void;
  /** Estimated tokens of one tools/call result; `toolName` already bounded. */
  toolResult(toolName: string, tokens: number): void;
}

/**
 * The context-cost instruments: gauges read the latest catalogue at each collection (a tool that is
 * gone from it reads 0 in mcp_tool_definition_tokens), and a histogram of result tokens.
 */
export function createContextCostInstruments(meter: Meter, serverName: string): ContextCostInstruments {
  const base = { [Attr.serverName]: serverName };
  let catalogue: ListedCatalogue | undefined;
  /** Every tool name a catalogue had (bounded by the tool-name registry): one gone from it now costs 0. */
  const toolNamesSeen = new Set<string>();
  let instructionsTokens: number | undefined;
  const toolsListed = meter.createObservableGauge(ContextMetricName.toolsListed, {
    description: "Tools in the server's latest complete tools/list (every page)",
    unit: "{tool}",
  });
  const listBytes = meter.createObservableGauge(ContextMetricName.toolsListBytes, {
    description: "UTF-8 bytes of the latest complete tools/list's tools array as compact JSON",
    unit: "By",
  });
  const listTokens = meter.createObservableGauge(ContextMetricName.toolsListTokens, {
    description: "Estimated tokens (o200k-like) of the latest complete tools/list's tools array as compact JSON",
    unit: "{token}",
  });
  const definitionTokens = meter.createObservableGauge(ContextMetricName.toolDefinitionTokens, {
    description: "Estimated tokens of each tool's definition in the latest complete tools/list",
    unit: "{token}",
  });
  const instructions = meter.createObservableGauge(ContextMetricName.instructionsTokens, {
    description: "Estimated tokens of the server's instructions (initialize or server/discover)",
    unit: "{token}",
  });
  const resultTokens = meter.createHistogram(ContextMetricName.toolResultTokens, {
    description: "Estimated tokens of each tools/call result as compact JSON, by tool",
    unit: "{token}",
    advice: { explicitBucketBoundaries: resultTokenBuckets },
  });
  const resultAttributes = new LabelSets<Attributes>(1, ([toolName]) => ({ ...base, [Attr.toolName]: toolName }));
  meter.addBatchObservableCallback(
    (result) => {
      if (catalogue) {
        result.observe(toolsListed, catalogue.tools, base);
        result.observe(listBytes, catalogue.bytes, base);
        result.observe(listTokens, catalogue.tokens, base);
        // The SDK keeps reporting an attribute set a cumulative gauge no longer observes: say 0 instead.
        for (const toolName of toolNamesSeen) {
          const tokens = catalogue.definitionTokens.get(toolName) ?? 0;
          result.observe(definitionTokens, tokens, { ...base, [Attr.toolName]: toolName });
        }
      }
      if (instructionsTokens !== undefined) result.observe(instructions, instructionsTokens, base);
    },
    [toolsListed, listBytes, listTokens, definitionTokens, instructions],
  );
  return {
    catalogueListed(listed) {
      catalogue = listed;
      for (const toolName of listed.definitionTokens.keys()) toolNamesSeen.add(toolName);
    },
    instructionsSeen(tokens) {
      instructionsTokens = tokens;
    },
    toolResult(toolName, tokens) {
      resultTokens.record(tokens, resultAttributes.of([toolName]));
    },
  };
}
