// The sidecar's shared names, importable without loading the proxy (the operator uses these).
export * from "./contract.js";
export { SidecarEnv } from "./env-names.js";
export { callerMistakeErrorTypes } from "./mcp/error-codes.js";
export { sidecarImageUid, sidecarNodeFlags, sidecarNodeFlagsForLimit } from "./runtime-flags.js";
export { Attr, MetricName } from "./telemetry/semconv.js";
