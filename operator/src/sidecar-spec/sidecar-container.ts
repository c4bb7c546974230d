import type { V1Container, V1EnvVar, V1ResourceRequirements } from "@kubernetes/client-node";
import {
  SidecarEnv,
  sidecarImageUid,
  sidecarNodeFlagsForLimit,
  sidecarRoutes,
  type UpstreamTransport,
} from "@mcpscope/sidecar/constants";
import { parseQuantity } from "../webhook/quantity.js";
import { type SloObjectives, sloEnv } from "./slo-objectives.js";
import { stdioSessionsForLimit } from "./stdio-sessions.js";

/** What the sidecar needs to know, whether it is built for an McpServer or injected into a pod. */
export interface SidecarParams {
  image: string;
  serverName: string;
  /** HTTP upstream in the same pod (http://127.0.0.1:PORT), or… */
  upstreamUrl?: string;
  /** …a stdio command line the sidecar runs itself. */
  upstreamCommand?: string;
  transport: UpstreamTransport;
  mcpPath: string;
  port: number;
  metricsPort: number;
  otlpEndpoint?: string | undefined;
  serviceName?: string | undefined;
  resources?: V1ResourceRequirements | undefined;
  extraEnv?: V1EnvVar[] | undefined;
  containerName?: string;
  /** The objectives in force (declared, else the installation's defaults): MCP_SLO_* env. */
  slo?: SloObjectives | undefined;
  /**
   * The headless peer Service's DNS name (an McpServer's own, or the one an injected pod names by
   * annotation). The sidecar then routes each session to the replica holding it (it learns its own
   * pod IP from the downward API).
   */
  replicaPeers?: string | undefined;
}

export const sidecarContainerName = "mcpscope-sidecar";
/**
 * A default sidecar's working set is ≈ 32 MiB idle and ≈ 48 MiB after 20 s at 1,000 req/s (README "The
 * bill"): the request covers a busy one, the limit what the adversarial tests drive it to.
 */
export const defaultSidecarResources: V1ResourceRequirements = {
  requests: { cpu: "50m", memory: "64Mi" },
  limits: { memory: "256Mi" },
};

/**
 * Command mode: the same container also runs one server process per MCP session. The sidecar and its
 * health probe's own session take ≈ 82 MiB with server-everything (README "Size a stdio server's
 * memory"), so the request starts there with room for a client session; the limit, and the sessions
 * derived from it, stay the default's.
 */
export const defaultCommandModeSidecarResources: V1ResourceRequirements = {
  requests: { cpu: "50m", memory: "128Mi" },
  limits: { memory: "256Mi" },
};

/**
 * The one function that builds the sidecar container: the controller's Deployments and the webhook's
 * injected pods both call it, so the two can never disagree. Pure.
 */
export function buildSidecarContainer(params: SidecarParams): V1Container {
  const resources =
    params.resources ??
    (params.upstreamCommand !== undefined ? defaultCommandModeSidecarResources : defaultSidecarResources);
  const memoryLimit = parseQuantity(resources.limits?.memory);
  const env: V1EnvVar[] = [
    { name: SidecarEnv.upstreamName, value: params.serverName },
    params.upstreamCommand !== undefined
      ? { name: SidecarEnv.upstreamCommand, value: params.upstreamCommand }
      : { name: SidecarEnv.upstreamUrl, value: params.upstreamUrl ?? "" },
    { name: SidecarEnv.upstreamTransport, value: params.transport },
    { name: SidecarEnv.upstreamPath, value: params.mcpPath },
    { name: SidecarEnv.port, value: String(params.port) },
    { name: SidecarEnv.metricsPort, value: String(params.metricsPort) },
    { name: SidecarEnv.otelServiceName, value: params.serviceName ?? `mcp-sidecar-${params.serverName}` },
    ...(params.otlpEndpoint ? [{ name: SidecarEnv.otelEndpoint, value: params.otlpEndpoint }] : []),
    ...sloEnv(params.slo),
    ...(params.replicaPeers
      ? [
          { name: SidecarEnv.podIp, valueFrom: { fieldRef: { fieldPath: "status.podIP" } } },
          { name: SidecarEnv.replicaPeers, value: params.replicaPeers },
        ]
      : []),
    ...stdioSessionsEnv(params, memoryLimit),
    // The heap sized to the container's memory limit, so load cannot grow it into an OOM kill.
    { name: "NODE_OPTIONS", value: sidecarNodeFlagsForLimit(memoryLimit).join(" ") },
  ];
  // User-supplied env wins over ours for the same name.
  const extra = params.extraEnv ?? [];
  const merged = [...env.filter((e) => !extra.some((x) => x.name === e.name)), ...extra];
  return {
    name: params.containerName ?? sidecarContainerName,
    image: params.image,
    imagePullPolicy: "IfNotPresent",
    env: merged,
    ports: [
      { name: "mcp", containerPort: params.port, protocol: "TCP" },
      { name: "metrics", containerPort: params.metricsPort, protocol: "TCP" },
    ],
    livenessProbe: { httpGet: { path: sidecarRoutes.liveness, port: "mcp" }, periodSeconds: 10, failureThreshold: 3 },
    readinessProbe: { httpGet: { path: sidecarRoutes.health, port: "mcp" }, periodSeconds: 10, failureThreshold: 3 },
    resources,
    securityContext: {
      allowPrivilegeEscalation: false,
      readOnlyRootFilesystem: true,
      runAsNonRoot: true,
      // Numeric, so the kubelet can verify runAsNonRoot whatever USER the image names.
      runAsUser: sidecarImageUid,
      runAsGroup: sidecarImageUid,
      capabilities: { drop: ["ALL"] },
      seccompProfile: { type: "RuntimeDefault" },
    },
  };
}

/** Command mode: as many stdio sessions as the container's memory limit holds (stdio-sessions.ts). */
function stdioSessionsEnv(params: SidecarParams, memoryLimit: number | undefined): V1EnvVar[] {
  if (params.upstreamCommand === undefined) return [];
  const sessions = stdioSessionsForLimit(memoryLimit);
  return sessions === undefined ? [] : [{ name: SidecarEnv.stdioMaxSessions, value: String(sessions) }];
}
