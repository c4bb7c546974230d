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

/**
 * `docker run` arguments for the sidecar image as a default pod runs it: its memory limit without swap
 * (as the kubelet sets it), its NODE_OPTIONS, a read-only root and no capabilities, and no HEALTHCHECK (the
 * kubelet runs the pod's probes, never the image's: a check would add a node process's CPU and memory to
 * the container's); on the host network, so load reaches it without docker-proxy in between. `env` comes
 * on top.
 */
export function defaultSidecarDockerRun(container: string, image: string, env: Record<string, string>): string[] {
  const { memoryLimit, nodeOptions } = defaultSidecarRuntime();
  const limit = memoryLimit.replace(/Mi$/, "m");
  return [
    "run",
    "-d",
    "--name",
    container,
    "--network",
    "host",
    "--read-only",
    "--cap-drop",
    "ALL",
    "--no-healthcheck",
    "--memory",
    limit,
    "--memory-swap",
    limit,
    ...Object.entries({ NODE_OPTIONS: nodeOptions, ...env }).flatMap(([k, v]) => ["-e", `${k}=${v}`]),
    image,
  ];
}
