// Test and demo fixtures shared with e2e/: real MCP servers from npm and free loopback ports.
export { freePort } from "./free-port.js";
export {
  everythingServerScript,
  everythingStdioCommand,
  startEverythingServer,
  stopProcess,
  waitForOutput,
  type RunningProcess,
} from "./everything-server.js";
export { parsePrometheusText, readMetrics, sampleValue, type MetricPoint } from "./prometheus-text.js";
export { inMemoryMetrics, pointsOf, type CollectedPoint } from "./in-memory-metrics.js";
