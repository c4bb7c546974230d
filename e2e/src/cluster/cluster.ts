import type { KubeConfig, V1Pod } from "@kubernetes/client-node";

/** How the test reaches one pod's sidecar. */
export interface PodEndpoints {
  /** The sidecar's MCP proxy, e.g. http://127.0.0.1:PORT (append the MCP path). */
  proxyUrl: string;
  /** The sidecar's Prometheus /metrics. */
  metricsUrl: string;
}

/**
 * A Kubernetes cluster with mcpscope installed from the chart, as the full-path test needs it. The
 * test code is the same for every provider; only how pods run and how the test reaches them differs.
 */
export interface McpCluster {
  readonly provider: "local" | "kind" | "node";
  /** An admin kubeconfig file (for kubectl) and the same as a client. */
  readonly kubeconfigPath: string;
  kubeConfig(): KubeConfig;
  /** Installs mcpscope from the chart and returns once the operator and its webhook serve. */
  install(): Promise<void>;
  /** Starts (local) or waits for (kind) the pod's containers and makes its sidecar reachable. */
  reachPod(pod: V1Pod): Promise<PodEndpoints>;
  /** Base URL of a Prometheus that scrapes the collector with the multi-server config and loads the alert rules. */
  prometheusUrl(): string;
  /** Base URL of the chart's Jaeger query API (the chart is installed with tracing.jaeger.enabled). */
  jaegerUrl(): string;
  /** Makes the MCP server in this pod stop answering (the sidecar keeps running). */
  stopServer(pod: V1Pod): Promise<void>;
  /** Components and their versions, for the report. */
  components(): Promise<Record<string, string>>;
  /** Stops everything; returns what survived (processes, ports) so the test can fail on leaks. */
  teardown(): Promise<string[]>;
}
