// The contract between the sidecar and whatever configures it (the operator's McpServers, the webhook's
// annotations, the chart): one source for each value both sides must agree on. The operator imports it
// through @mcpscope/sidecar/constants, so adding a transport is one edit the compiler follows.

/** How the sidecar talks to an HTTP upstream. (McpServers add "stdio": the sidecar runs the command.) */
export const upstreamTransports = ["streamable-http", "sse"] as const;
export type UpstreamTransport = (typeof upstreamTransports)[number];

/** The MCP endpoint path a server of each transport uses unless told otherwise. */
export const defaultMcpPath: Readonly<Record<UpstreamTransport, string>> = {
  "streamable-http": "/mcp",
  sse: "/sse",
};

/** The stdio bridge serves its child as Streamable HTTP on this path. */
export const stdioBridgeMcpPath = defaultMcpPath["streamable-http"];

/** server_name label values: bounded and readable; Kubernetes names already fit. */
export const serverNamePattern = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,62}$/;
export const serverNameRule = "must be 1-63 letters, digits, '.', '_' or '-', starting with a letter or digit";

/** An http(s) URL with a host. The pattern is what a CRD can check; isHttpUrl is the full rule. */
export const httpUrlPattern = /^https?:\/\/[^\s/?#]+/;
export const httpUrlRule = "must be an http(s) URL with a host";
export function isHttpUrl(value: string): boolean {
  if (!httpUrlPattern.test(value)) return false;
  try {
    const url = new URL(value);
    return (url.protocol === "http:" || url.protocol === "https:") && url.hostname !== "";
  } catch {
    return false;
  }
}

/**
 * Marks the sidecar's own health probe to its stdio bridge, which keeps that one session outside the
 * clients' slots. The proxy strips it from every client request, so no client can claim it.
 */
export const healthProbeHeader = "x-mcpscope-health-probe";

/** The sidecar's ports unless configured: MCP (the proxy) and Prometheus metrics. */
export const defaultSidecarPorts = { mcp: 4000, metrics: 9464 } as const;

/**
 * Marks a request one replica's sidecar forwarded to another (the one holding its session); its value
 * is the sender's pod IP. A request carrying it is never forwarded again, and it never reaches an upstream.
 */
export const replicaHopHeader = "x-mcpscope-replica-hop";

/** Routes the sidecar answers itself on its proxy port; everything else goes to the upstream. */
export const sidecarRoutes = { health: "/health", liveness: "/livez" } as const;
