// The sidecar's shared names, importable without loading the proxy (the operator uses these).
export * from "./contract.js";
export { SidecarEnv } from "./env-names.js";
export { callerMistakeErrorTypes } from "./mcp/error-codes.js";
export { sidecarImageUid, sidecarNodeFlags } from "./runtime-flags.js";
export { Attr, ContextMetricName, MetricName, resultTokenBuckets } from "./telemetry/semconv.js";
