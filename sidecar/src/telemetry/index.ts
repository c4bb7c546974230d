// The metrics pipeline and logger, shared with the operator without loading the proxy.

export { createLogger, type Logger } from "../logger.js";
export { type MetricsPipeline, startMetricsPipeline } from "./meter-provider.js";
export { startTracing, type TracingPipeline, tracingEnabled } from "./trace-provider.js";
