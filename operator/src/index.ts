export { buildMcpServerCrd } from "./api/crd.js";
export { type McpServerSpec, type McpServerStatus, mcpServerSpecSchema } from "./api/mcpserver.js";
export * from "./api/names.js";
export { type RunningController, startController } from "./controller/controller.js";
export { buildDesiredObjects } from "./controller/desired.js";
export {
  type ElectionClock,
  type LeaderElector,
  startLeaderElection,
  systemClock,
} from "./leader/leader-elector.js";
export { PooledKubeConfig } from "./pooled-kube-config.js";
export { buildOperatorRbac } from "./rbac.js";
export { operatorNodeFlags } from "./runtime-flags.js";
export { buildSidecarContainer } from "./sidecar-spec/sidecar-container.js";
