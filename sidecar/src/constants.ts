// The sidecar's shared names, importable without loading the proxy (the operator uses these).
export * from "./contract.js";
export { defaultStdioMaxSessions, SidecarEnv } from "./env-names.js";
export { callerMistakeErrorTypes } from "./mcp/error-codes.js";
export {
  sidecarCommandLineFlags,
  sidecarImageUid,
  sidecarNodeFlags,
  sidecarNodeFlagsForLimit,
} from "./runtime-flags.js";
export {
  leLabelOf,
  parseSloDurationSeconds,
  parseSloPercent,
  SloName,
  sloCallerMistakeErrorTypes,
  sloDurationPattern,
  sloDurationRule,
  sloNeutralErrorTypes,
  sloPercentPattern,
  sloPercentRule,
} from "./slo/objectives.js";
export { Attr, ContextMetricName, MetricName, resultTokenBuckets } from "./telemetry/semconv.js";
export { mcpscopeVersion } from "./version.js";
