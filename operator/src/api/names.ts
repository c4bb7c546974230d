/** The fixed API names other work depends on. */
export const apiGroup = "mcpscope.dev";
export const apiVersion = "v1alpha1";
export const kind = "McpServer";
export const plural = "mcpservers";
export const singular = "mcpserver";
export const shortNames = ["mcps"];
export const crdName = `${plural}.${apiGroup}`;
export const groupVersion = `${apiGroup}/${apiVersion}`;

/** Annotation keys, all under mcpscope.dev/. */
export const Annotation = {
  inject: `${apiGroup}/inject`,
  injected: `${apiGroup}/injected`,
  upstreamPort: `${apiGroup}/upstream-port`,
  upstreamPath: `${apiGroup}/upstream-path`,
  serverName: `${apiGroup}/server-name`,
  transport: `${apiGroup}/transport`,
  sidecarPort: `${apiGroup}/sidecar-port`,
  metricsPort: `${apiGroup}/metrics-port`,
  sidecarCpuRequest: `${apiGroup}/sidecar-cpu-request`,
  sidecarMemoryRequest: `${apiGroup}/sidecar-memory-request`,
  sidecarCpuLimit: `${apiGroup}/sidecar-cpu-limit`,
  sidecarMemoryLimit: `${apiGroup}/sidecar-memory-limit`,
  sloAvailability: `${apiGroup}/slo-availability`,
  sloLatencyThreshold: `${apiGroup}/slo-latency-threshold`,
  sloLatencyObjective: `${apiGroup}/slo-latency-objective`,
  /** A headless Service in the pod's namespace whose endpoints are the pod's replicas: sessions are routed among them. */
  replicaPeers: `${apiGroup}/replica-peers`,
} as const;

/** Label keys set on everything the operator creates. */
export const Label = {
  name: "app.kubernetes.io/name",
  instance: "app.kubernetes.io/instance",
  managedBy: "app.kubernetes.io/managed-by",
  component: "app.kubernetes.io/component",
  server: `${apiGroup}/server`,
} as const;

export const fieldManager = "mcpscope";
