export { loadConfig, type SidecarConfig } from "./config.js";
export { SidecarEnv } from "./env-names.js";
export { ConfigError, SidecarError, SidecarErrorCode } from "./errors.js";
export { startSidecar, type RunningSidecar } from "./sidecar.js";
export { MetricName, Attr } from "./telemetry/semconv.js";
export { sidecarRoutes } from "./proxy/app.js";
