/** Every environment variable the sidecar reads. The operator and the webhook import these names too. */
export const SidecarEnv = {
  upstreamUrl: "MCP_UPSTREAM_URL",
  upstreamCommand: "MCP_UPSTREAM_COMMAND",
  upstreamName: "MCP_UPSTREAM_NAME",
  upstreamTransport: "MCP_UPSTREAM_TRANSPORT",
  upstreamPath: "MCP_UPSTREAM_PATH",
  upstreamTimeoutMs: "MCP_UPSTREAM_TIMEOUT_MS",
  connectTimeoutMs: "MCP_CONNECT_TIMEOUT_MS",
  maxBodyBytes: "MCP_MAX_BODY_BYTES",
  maxToolNames: "MCP_MAX_TOOL_NAMES",
  /** on (default) or off: the context-cost metrics (tool catalogue, instructions and result tokens). */
  contextCost: "MCP_CONTEXT_COST",
  /** off (default) or on: gen_ai.tool.name on mcp_server_operation_duration, i.e. latency per tool. */
  toolLatency: "MCP_TOOL_LATENCY",
  sessionIdleTimeoutMs: "MCP_SESSION_IDLE_TIMEOUT_MS",
  requestTimeoutMs: "MCP_REQUEST_TIMEOUT_MS",
  stdioMaxSessions: "MCP_STDIO_MAX_SESSIONS",
  stdioSessionIdleMs: "MCP_STDIO_SESSION_IDLE_MS",
  healthCacheMs: "MCP_HEALTH_CACHE_MS",
  healthTimeoutMs: "MCP_HEALTH_TIMEOUT_MS",
  healthIntervalMs: "MCP_HEALTH_INTERVAL_MS",
  shutdownGraceMs: "MCP_SHUTDOWN_GRACE_MS",
  /** Service level objectives: exported as mcp_slo_objective_ratio for the burn-rate rules. */
  sloAvailability: "MCP_SLO_AVAILABILITY",
  sloLatencyThreshold: "MCP_SLO_LATENCY_THRESHOLD",
  sloLatencyObjective: "MCP_SLO_LATENCY_OBJECTIVE",
  /** This replica's pod IP (the downward API's status.podIP): session ids name it. */
  podIp: "MCP_POD_IP",
  /** The live replicas: the headless peer Service's DNS name, or a comma-separated list of IPs. */
  replicaPeers: "MCP_REPLICA_PEERS",
  host: "HOST",
  port: "PORT",
  metricsHost: "METRICS_HOST",
  metricsPort: "METRICS_PORT",
  logLevel: "LOG_LEVEL",
  otelServiceName: "OTEL_SERVICE_NAME",
  otelEndpoint: "OTEL_EXPORTER_OTLP_ENDPOINT",
  otelMetricsEndpoint: "OTEL_EXPORTER_OTLP_METRICS_ENDPOINT",
  otelExportIntervalMs: "OTEL_METRIC_EXPORT_INTERVAL",
  otelResourceAttributes: "OTEL_RESOURCE_ATTRIBUTES",
  /** Read to decide whether to trace; the OpenTelemetry SDK reads the rest of OTEL_* itself. */
  otelSdkDisabled: "OTEL_SDK_DISABLED",
  otelTracesExporter: "OTEL_TRACES_EXPORTER",
  otelTracesEndpoint: "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT",
} as const;

/** MCP_STDIO_MAX_SESSIONS when unset (the operator derives a smaller one from a container's memory limit). */
export const defaultStdioMaxSessions = 64;
