import type {
  V1Container,
  V1Deployment,
  V1ObjectMeta,
  V1OwnerReference,
  V1PodSpec,
  V1ResourceRequirements,
  V1Service,
  V2HorizontalPodAutoscaler,
} from "@kubernetes/client-node";
import { defaultMcpPath, stdioBridgeMcpPath, type UpstreamTransport } from "@mcpscope/sidecar/constants";
import type { McpServerSpec } from "../api/mcpserver.js";
import { groupVersion, kind, Label } from "../api/names.js";
import { buildSidecarContainer } from "../sidecar-spec/sidecar-container.js";
import { effectiveSlo, type SloObjectives } from "../sidecar-spec/slo-objectives.js";
import { objectNameFor, peerServiceNameFor, shellJoin } from "./names.js";

/** How long a terminating McpServer pod keeps serving before its containers are signalled (preStop sleep). */
export const endpointsDrainSeconds = 5;

export interface McpServerObject {
  apiVersion: string;
  kind: string;
  metadata: V1ObjectMeta & { name: string; namespace: string; uid: string };
  spec: McpServerSpec;
}

export interface OperatorDefaults {
  sidecarImage: string;
  /** The installation's collector (the chart's OTLP_ENDPOINT), used when spec.telemetry names none. */
  otlpEndpoint?: string | undefined;
  /**
   * Pod spec fields the cluster admin sets for every McpServer pod (chart value
   * operator.mcpServerPodDefaults): the only way to widen what McpServer pods get beyond the safe
   * subset an McpServer may set itself (e.g. serviceAccountName, priorityClassName, runtimeClassName).
   */
  podDefaults?: Partial<V1PodSpec> | undefined;
  /** Objectives for servers that declare none (chart value slo.defaults). */
  sloDefaults?: SloObjectives | undefined;
}

/** The uid the server container runs as unless its spec names another (non-root, as restricted asks). */
export const defaultServerUid = 1000;

/** A writable /tmp for servers under a read-only root filesystem. */
const tmpVolume = { name: "mcpscope-tmp", emptyDir: {} };
const tmpMount = { name: tmpVolume.name, mountPath: "/tmp" };

export interface DesiredObjects {
  deployment: V1Deployment;
  service: V1Service;
  /** Headless: its DNS answer is the live replicas, the only addresses sidecars forward sessions to. */
  peerService: V1Service;
  /** Set when spec.autoscaling is; otherwise an autoscaler this McpServer owns is removed. */
  autoscaler: V2HorizontalPodAutoscaler | undefined;
  serverName: string;
  url: string;
}

export const serverContainerName = "mcp-server";

type Quantities = Record<string, string | number> | undefined;

/** The CRD takes quantities as int-or-string; the Deployment wants strings. */
function resourceRequirements(
  r: { limits?: Quantities; requests?: Quantities } | undefined,
): V1ResourceRequirements | undefined {
  if (!r) return undefined;
  const strings = (q: Quantities) =>
    q ? Object.fromEntries(Object.entries(q).map(([k, v]) => [k, String(v)])) : undefined;
  return {
    ...(r.limits ? { limits: strings(r.limits) } : {}),
    ...(r.requests ? { requests: strings(r.requests) } : {}),
  };
}

export function selectorLabels(name: string): Record<string, string> {
  return { [Label.name]: "mcp-server", [Label.instance]: name, [Label.server]: name };
}

function ownerReference(mcp: McpServerObject): V1OwnerReference {
  return {
    apiVersion: groupVersion,
    kind,
    name: mcp.metadata.name,
    uid: mcp.metadata.uid,
    controller: true,
    blockOwnerDeletion: true,
  };
}

/** What the cluster should hold for one McpServer: a Deployment (server + sidecar) and a Service. Pure. */
export function buildDesiredObjects(mcp: McpServerObject, defaults: OperatorDefaults): DesiredObjects {
  const { spec, metadata } = mcp;
  const name = objectNameFor(metadata.name);
  const serverName = spec.serverName ?? metadata.name;
  // Label values are limited as names are: every name and label derives from one function.
  const labels = { ...selectorLabels(name), [Label.managedBy]: "mcpscope" };
  const meta = { name, namespace: metadata.namespace, labels, ownerReferences: [ownerReference(mcp)] };
  const peerServiceName = peerServiceNameFor(metadata.name);
  const { server, sidecar } = spec;
  // stdio servers are served by the sidecar's bridge as Streamable HTTP.
  const transport: UpstreamTransport = server.transport === "stdio" ? "streamable-http" : server.transport;
  const mcpPath = server.transport === "stdio" ? stdioBridgeMcpPath : (server.path ?? defaultMcpPath[transport]);
  const common = {
    image: sidecar.image ?? defaults.sidecarImage,
    serverName,
    transport,
    mcpPath,
    port: sidecar.port,
    metricsPort: sidecar.metricsPort,
    otlpEndpoint: spec.telemetry?.otlpEndpoint ?? defaults.otlpEndpoint,
    serviceName: spec.telemetry?.serviceName,
    resources: resourceRequirements(sidecar.resources),
    extraEnv: sidecar.env as V1Container["env"],
    slo: effectiveSlo(spec.slo, defaults.sloDefaults),
    // Every McpServer routes sessions among its replicas, so scaling later (or an autoscaler) keeps them.
    replicaPeers: `${peerServiceName}.${metadata.namespace}.svc`,
  } as const;

  const mounts = [tmpMount, ...((server.volumeMounts ?? []) as NonNullable<V1Container["volumeMounts"]>)];
  let containers: V1Container[];
  if (server.transport === "stdio") {
    // One container: the server image (built FROM the sidecar image) runs the sidecar, which runs the server.
    const container = buildSidecarContainer({
      ...common,
      containerName: serverContainerName,
      image: server.image,
      upstreamCommand: shellJoin([...(server.command ?? []), ...(server.args ?? [])]),
      resources: resourceRequirements(server.resources ?? sidecar.resources),
      extraEnv: [
        ...((server.env ?? []) as NonNullable<V1Container["env"]>),
        ...((sidecar.env ?? []) as NonNullable<V1Container["env"]>),
      ],
    });
    containers = [
      { ...container, securityContext: restrictedSecurityContext(server.securityContext), volumeMounts: mounts },
    ];
  } else {
    const serverEnv = (server.env ?? []) as NonNullable<V1Container["env"]>;
    containers = [
      {
        name: serverContainerName,
        image: server.image,
        ...(server.command ? { command: server.command } : {}),
        ...(server.args ? { args: server.args } : {}),
        // Most MCP servers read PORT; the spec's port is the one the sidecar forwards to.
        env: [
          ...(serverEnv.some((e) => e.name === "PORT") ? [] : [{ name: "PORT", value: String(server.port) }]),
          ...serverEnv,
        ],
        ...(server.envFrom ? { envFrom: server.envFrom as V1Container["envFrom"] } : {}),
        ports: [{ name: "upstream", containerPort: server.port, protocol: "TCP" }],
        ...(server.resources ? { resources: resourceRequirements(server.resources) } : {}),
        securityContext: restrictedSecurityContext(server.securityContext),
        volumeMounts: mounts,
      },
      buildSidecarContainer({ ...common, upstreamUrl: `http://127.0.0.1:${server.port}` }),
    ];
  }

  // A pod going away (scale-down, rollout) keeps serving until the Service's endpoints have dropped it
  // everywhere: kube-proxy on every node takes a moment, and a new connection sent to a pod that has
  // already stopped listening is refused. Both containers wait, or the server would leave its sidecar.
  containers = containers.map((c) => ({ ...c, lifecycle: { preStop: { sleep: { seconds: endpointsDrainSeconds } } } }));

  const overrides = spec.podTemplate;
  const own = (overrides?.spec ?? {}) as Partial<V1PodSpec>;
  // The admin's defaults first, then the McpServer's safe subset; what the operator itself sets wins.
  const podSpec: V1PodSpec = {
    ...defaults.podDefaults,
    ...own,
    securityContext: {
      ...defaults.podDefaults?.securityContext,
      runAsNonRoot: true,
      seccompProfile: { type: "RuntimeDefault" },
    },
    volumes: [tmpVolume, ...(own.volumes ?? [])],
    containers,
  };
  const deployment: V1Deployment = {
    apiVersion: "apps/v1",
    kind: "Deployment",
    metadata: meta,
    spec: {
      // An autoscaler owns the count when there is one: applying ours would fight it.
      ...(spec.autoscaling ? {} : { replicas: spec.replicas }),
      selector: { matchLabels: selectorLabels(name) },
      template: {
        metadata: {
          labels: { ...overrides?.metadata?.labels, ...labels },
          annotations: {
            ...overrides?.metadata?.annotations,
            "prometheus.io/scrape": "true",
            "prometheus.io/port": String(sidecar.metricsPort),
            "prometheus.io/path": "/metrics",
          },
        },
        spec: podSpec,
      },
    },
  };
  const service: V1Service = {
    apiVersion: "v1",
    kind: "Service",
    metadata: meta,
    spec: {
      selector: selectorLabels(name),
      ports: [
        { name: "mcp", port: sidecar.port, targetPort: "mcp", protocol: "TCP" },
        { name: "metrics", port: sidecar.metricsPort, targetPort: "metrics", protocol: "TCP" },
      ],
    },
  };
  const peerService: V1Service = {
    apiVersion: "v1",
    kind: "Service",
    metadata: { ...meta, name: peerServiceName, labels: { ...labels, [Label.component]: "replica-peers" } },
    spec: {
      clusterIP: "None",
      // A replica whose readiness flaps (a full stdio bridge answers /health 503) still holds its sessions.
      publishNotReadyAddresses: true,
      selector: selectorLabels(name),
      ports: [{ name: "mcp", port: sidecar.port, targetPort: "mcp", protocol: "TCP" }],
    },
  };
  const autoscaling = spec.autoscaling;
  const autoscaler: V2HorizontalPodAutoscaler | undefined = autoscaling && {
    apiVersion: "autoscaling/v2",
    kind: "HorizontalPodAutoscaler",
    metadata: meta,
    spec: {
      scaleTargetRef: { apiVersion: "apps/v1", kind: "Deployment", name },
      minReplicas: autoscaling.minReplicas,
      maxReplicas: autoscaling.maxReplicas,
      metrics: [
        {
          type: "Resource",
          resource: {
            name: "cpu",
            target: { type: "Utilization", averageUtilization: autoscaling.targetCPUUtilizationPercentage },
          },
        },
      ],
    },
  };
  return {
    deployment,
    service,
    peerService,
    autoscaler,
    serverName,
    url: `http://${name}.${metadata.namespace}.svc:${sidecar.port}${mcpPath}`,
  };
}

/**
 * The server container's securityContext: the restricted Pod Security profile, with the few fields
 * an McpServer may choose inside it. Pure.
 */
export function restrictedSecurityContext(
  chosen: McpServerSpec["server"]["securityContext"],
): NonNullable<V1Container["securityContext"]> {
  return {
    runAsNonRoot: true,
    runAsUser: chosen?.runAsUser ?? defaultServerUid,
    ...(chosen?.runAsGroup === undefined ? {} : { runAsGroup: chosen.runAsGroup }),
    allowPrivilegeEscalation: false,
    readOnlyRootFilesystem: chosen?.readOnlyRootFilesystem ?? true,
    capabilities: { drop: ["ALL"], ...(chosen?.capabilities?.add ? { add: chosen.capabilities.add } : {}) },
    seccompProfile: { type: "RuntimeDefault" },
  };
}
