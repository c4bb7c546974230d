import { buildSidecarContainer } from "@mcpscope/operator";
import { defaultSidecarPorts } from "@mcpscope/sidecar/constants";

/**
 * What the operator and the webhook give a sidecar with default resources: its memory limit (as the
 * pod spec writes it, e.g. "256Mi") and its NODE_OPTIONS. The bench and the memory-limit test run
 * the sidecar with exactly these.
 */
export function defaultSidecarRuntime(): { memoryLimit: string; nodeOptions: string } {
  const spec = buildSidecarContainer({
    image: "mcpscope/sidecar",
    serverName: "bench",
    upstreamUrl: "http://127.0.0.1:1",
    transport: "streamable-http",
    mcpPath: "/mcp",
    port: defaultSidecarPorts.mcp,
    metricsPort: defaultSidecarPorts.metrics,
  });
  return {
    memoryLimit: String(spec.resources?.limits?.memory ?? ""),
    nodeOptions: spec.env?.find((e) => e.name === "NODE_OPTIONS")?.value ?? "",
  };
}
