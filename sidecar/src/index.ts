export { loadConfig, type SidecarConfig } from "./config.js";
export { sidecarRoutes } from "./contract.js";
export { SidecarEnv } from "./env-names.js";
export { ConfigError, SidecarError, SidecarErrorCode } from "./errors.js";
export { createLogger } from "./logger.js";
export { sidecarNodeFlags } from "./runtime-flags.js";
export { type RunningSidecar, startSidecar } from "./sidecar.js";
export { type MetricsPipeline, startMetricsPipeline } from "./telemetry/meter-provider.js";
export { Attr, MetricName } from "./telemetry/semconv.js";
