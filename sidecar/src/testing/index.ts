// Test and demo fixtures shared with e2e/: real MCP servers from npm and free loopback ports.

export { runClientScenario, type ScenarioResults } from "./client-scenario.js";
export { documentedCodes } from "./documented-codes.js";
export {
  everythingServerScript,
  everythingStdioCommand,
  type RunningProcess,
  startEverythingServer,
  stopProcess,
  waitForOutput,
} from "./everything-server.js";
export { freePort, isPortFree } from "./free-port.js";
export {
  type CollectedPoint,
  inMemoryMetrics,
  pointsOf,
} from "./in-memory-metrics.js";
export { initializeSession, mcpAccept, postInitialize } from "./mcp-http.js";
export { type RunningModernServer, startModernServer } from "./modern-server.js";
export {
  type PaginatedTool,
  type RunningPaginatedServer,
  startPaginatedModernServer,
  startPaginatedServer,
} from "./paginated-server.js";
export {
  type MetricPoint,
  parsePrometheusText,
  readMetrics,
  sampleValue,
} from "./prometheus-text.js";
export { startTestSidecar } from "./sidecar-harness.js";
export { statelessMcpHandler } from "./stateless-mcp-handler.js";
