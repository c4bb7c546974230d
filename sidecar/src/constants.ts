// The sidecar's shared names, importable without loading the proxy (the operator uses these).
export { SidecarEnv } from "./env-names.js";
export { sidecarNodeFlags } from "./runtime-flags.js";
export { Attr, MetricName } from "./telemetry/semconv.js";
