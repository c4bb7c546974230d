import type { V1Container, V1Pod, V1ResourceRequirements } from "@kubernetes/client-node";
import {
  defaultMcpPath,
  defaultSidecarPorts,
  parseSloDurationSeconds,
  parseSloPercent,
  serverNamePattern,
  serverNameRule,
  sloDurationRule,
  sloPercentRule,
  type UpstreamTransport,
  upstreamTransports,
} from "@mcpscope/sidecar/constants";
import jsonPatch, { type Operation } from "fast-json-patch";
import { Annotation } from "../api/names.js";
import {
  buildSidecarContainer,
  defaultSidecarResources,
  sidecarContainerName,
} from "../sidecar-spec/sidecar-container.js";
import { effectiveSlo, type SloObjectives } from "../sidecar-spec/slo-objectives.js";
import { parseQuantity } from "./quantity.js";
import { fitSidecarResources, type NamespaceResourcePolicy } from "./resource-fit.js";

export const injectNamespaceLabel = Annotation.inject; // namespaces opt in with mcpscope.dev/inject=enabled

export interface InjectionSettings {
  sidecarImage: string;
  /** The sidecar's resources unless the pod's annotations say otherwise (chart webhook.sidecarResources). */
  sidecarResources?: V1ResourceRequirements | undefined;
  otlpEndpoint?: string | undefined;
  /** initContainers with restartPolicy: Always (Kubernetes ≥ 1.29) instead of a regular container. */
  nativeSidecars: boolean;
  /** Objectives for pods that declare none by annotation (chart value slo.defaults). */
  sloDefaults?: SloObjectives | undefined;
}

export type InjectionDecision = { inject: true } | { inject: false; reason: string; warning?: string };

/** Whether a pod asks for the sidecar: its own annotation first, then its namespace's label. Pure. */
export function decideInjection(pod: V1Pod, namespaceLabels: Record<string, string>): InjectionDecision {
  const annotations = pod.metadata?.annotations ?? {};
  if (annotations[Annotation.injected] !== undefined || hasSidecar(pod))
    return { inject: false, reason: "already injected" };
  const value = annotations[Annotation.inject];
  if (value === "false") return { inject: false, reason: "opted out by annotation" };
  if (value === "true") return { inject: true };
  if (value !== undefined) {
    return {
      inject: false,
      reason: "bad annotation",
      warning: `${Annotation.inject} must be "true" or "false", got "${value}"; not injected`,
    };
  }
  return namespaceLabels[injectNamespaceLabel] === "enabled"
    ? { inject: true }
    : { inject: false, reason: "not requested" };
}

function hasSidecar(pod: V1Pod): boolean {
  const named = (c: V1Container) => c.name === sidecarContainerName;
  return (pod.spec?.containers ?? []).some(named) || (pod.spec?.initContainers ?? []).some(named);
}

export interface SidecarAnnotations {
  upstreamPort: number;
  upstreamPath: string;
  serverName: string;
  transport: UpstreamTransport;
  sidecarPort: number;
  metricsPort: number;
  /** Set by the mcpscope.dev/sidecar-{cpu,memory}-{request,limit} annotations. */
  resources: { requests: Record<string, string>; limits: Record<string, string> };
  /** Set by the mcpscope.dev/slo-* annotations; what is left out takes the installation's defaults. */
  slo: SloObjectives;
  /** mcpscope.dev/replica-peers: the headless Service naming the pod's replicas, in the pod's namespace. */
  replicaPeersService?: string | undefined;
}

/** A Service's name: a DNS-1035 label. */
const serviceNamePattern = /^[a-z]([-a-z0-9]{0,61}[a-z0-9])?$/;

function quantityAnnotation(value: string | undefined, name: string): string | undefined {
  if (value === undefined) return undefined;
  if (parseQuantity(value) === undefined)
    throw new Error(`${name} must be a quantity such as 100m or 128Mi, got "${value}"`);
  return value;
}

/** The mcpscope.dev/slo-* annotations, checked with the sidecar's own parsers; throws a readable Error. Pure. */
function sloAnnotations(a: Record<string, string>): SloObjectives {
  const availability = a[Annotation.sloAvailability];
  if (availability !== undefined && parseSloPercent(availability) === undefined)
    throw new Error(`${Annotation.sloAvailability} ${sloPercentRule}, got "${availability}"`);
  const threshold = a[Annotation.sloLatencyThreshold];
  const objective = a[Annotation.sloLatencyObjective];
  if (threshold !== undefined && parseSloDurationSeconds(threshold) === undefined)
    throw new Error(`${Annotation.sloLatencyThreshold} ${sloDurationRule}, got "${threshold}"`);
  if (objective !== undefined && parseSloPercent(objective) === undefined)
    throw new Error(`${Annotation.sloLatencyObjective} ${sloPercentRule}, got "${objective}"`);
  if ((threshold === undefined) !== (objective === undefined)) {
    const [given, missing] =
      threshold === undefined
        ? [Annotation.sloLatencyObjective, Annotation.sloLatencyThreshold]
        : [Annotation.sloLatencyThreshold, Annotation.sloLatencyObjective];
    throw new Error(`${given} needs ${missing} too: a latency objective is a threshold and a percent`);
  }
  return {
    ...(availability !== undefined ? { availability } : {}),
    ...(threshold !== undefined && objective !== undefined ? { latency: { threshold, objective } } : {}),
  };
}

function port(value: string | undefined, name: string, fallback: number | undefined): number {
  if (value === undefined) {
    if (fallback === undefined) throw new Error(`${name} is required: the pod declares no containerPort to default to`);
    return fallback;
  }
  const n = Number(value);
  if (!/^\d+$/.test(value) || n < 1 || n > 65535)
    throw new Error(`${name} must be a port number 1-65535, got "${value}"`);
  return n;
}

function isUpstreamTransport(value: string): value is UpstreamTransport {
  return (upstreamTransports as readonly string[]).includes(value);
}

/** Reads the sidecar's settings from the pod's annotations, with defaults; throws a readable Error. Pure. */
export function readSidecarAnnotations(pod: V1Pod): SidecarAnnotations {
  const a = pod.metadata?.annotations ?? {};
  const firstPort = pod.spec?.containers?.[0]?.ports?.[0]?.containerPort;
  const transport = a[Annotation.transport] ?? "streamable-http";
  if (!isUpstreamTransport(transport)) {
    throw new Error(`${Annotation.transport} must be ${upstreamTransports.join(" or ")}, got "${transport}"`);
  }
  const path = a[Annotation.upstreamPath] ?? defaultMcpPath[transport];
  if (!path.startsWith("/")) throw new Error(`${Annotation.upstreamPath} must start with /, got "${path}"`);
  const labels = pod.metadata?.labels ?? {};
  const serverName =
    a[Annotation.serverName] ??
    labels["app.kubernetes.io/name"] ??
    labels.app ??
    pod.metadata?.generateName?.replace(/-$/, "") ??
    pod.metadata?.name ??
    "";
  if (!serverNamePattern.test(serverName)) {
    throw new Error(`${Annotation.serverName} ${serverNameRule}, got "${serverName}"`);
  }
  const upstreamPort = port(a[Annotation.upstreamPort], Annotation.upstreamPort, firstPort);
  const sidecarPort = port(a[Annotation.sidecarPort], Annotation.sidecarPort, defaultSidecarPorts.mcp);
  const metricsPort = port(a[Annotation.metricsPort], Annotation.metricsPort, defaultSidecarPorts.metrics);
  if (sidecarPort === metricsPort)
    throw new Error(`${Annotation.sidecarPort} and ${Annotation.metricsPort} must differ, both are ${sidecarPort}`);
  if (upstreamPort === sidecarPort || upstreamPort === metricsPort)
    throw new Error(
      `the server's port ${upstreamPort} is the sidecar's; set ${Annotation.sidecarPort} or ${Annotation.metricsPort}`,
    );
  const pick = (entries: Array<[string, string | undefined]>) =>
    Object.fromEntries(entries.filter((e): e is [string, string] => e[1] !== undefined));
  const slo = sloAnnotations(a);
  const replicaPeersService = a[Annotation.replicaPeers];
  if (replicaPeersService !== undefined && !serviceNamePattern.test(replicaPeersService))
    throw new Error(
      `${Annotation.replicaPeers} must name a headless Service in the pod's namespace (a DNS-1035 label), got "${replicaPeersService}"`,
    );
  return {
    upstreamPort,
    upstreamPath: path,
    serverName,
    transport,
    sidecarPort,
    metricsPort,
    resources: {
      requests: pick([
        ["cpu", quantityAnnotation(a[Annotation.sidecarCpuRequest], Annotation.sidecarCpuRequest)],
        ["memory", quantityAnnotation(a[Annotation.sidecarMemoryRequest], Annotation.sidecarMemoryRequest)],
      ]),
      limits: pick([
        ["cpu", quantityAnnotation(a[Annotation.sidecarCpuLimit], Annotation.sidecarCpuLimit)],
        ["memory", quantityAnnotation(a[Annotation.sidecarMemoryLimit], Annotation.sidecarMemoryLimit)],
      ]),
    },
    slo,
    replicaPeersService,
  };
}

const noPolicy: NamespaceResourcePolicy = { limitRanges: [], quotas: [] };
/** The API server's limit on a pod's annotations, keys and values together. */
const maxAnnotationBytes = 256 * 1024;

/**
 * The pod with the sidecar added and marked injected, its resources fitted to the namespace's
 * LimitRanges and ResourceQuotas. Throws (and the webhook then admits the pod untouched, with the
 * reason as a warning) when the sidecar cannot fit or the annotations are wrong. Pure.
 */
export function injectSidecar(
  pod: V1Pod,
  settings: InjectionSettings,
  policy: NamespaceResourcePolicy = noPolicy,
  namespace: string = pod.metadata?.namespace ?? "default",
): V1Pod {
  const params = readSidecarAnnotations(pod);
  const base = settings.sidecarResources ?? defaultSidecarResources;
  const wanted: V1ResourceRequirements = {
    requests: { ...(base.requests as Record<string, string>), ...params.resources.requests },
    limits: { ...(base.limits as Record<string, string>), ...params.resources.limits },
  };
  const fit = fitSidecarResources(pod, wanted, policy);
  if (!fit.fits) throw new Error(fit.reason);
  const used = new Set((pod.spec?.containers ?? []).flatMap((c) => (c.ports ?? []).map((p) => p.containerPort)));
  for (const p of [params.sidecarPort, params.metricsPort]) {
    if (used.has(p))
      throw new Error(
        `port ${p} is already used by the pod; set ${Annotation.sidecarPort} or ${Annotation.metricsPort}`,
      );
  }
  const sidecar = buildSidecarContainer({
    image: settings.sidecarImage,
    serverName: params.serverName,
    upstreamUrl: `http://127.0.0.1:${params.upstreamPort}`,
    transport: params.transport,
    mcpPath: params.upstreamPath,
    port: params.sidecarPort,
    metricsPort: params.metricsPort,
    otlpEndpoint: settings.otlpEndpoint,
    resources: fit.resources,
    slo: effectiveSlo(params.slo, settings.sloDefaults),
    // As for an McpServer's peer Service: the sidecar resolves it to the replicas' pod IPs.
    replicaPeers: params.replicaPeersService && `${params.replicaPeersService}.${namespace}.svc`,
  });
  const copy = structuredClone(pod) as V1Pod;
  copy.metadata ??= {};
  const own = copy.metadata.annotations ?? {};
  // An app that already declares its own prometheus.io/* scrape keeps it.
  const scrape: Record<string, string> = Object.keys(own).some((k) => k.startsWith("prometheus.io/"))
    ? {}
    : {
        "prometheus.io/scrape": "true",
        "prometheus.io/port": String(params.metricsPort),
        "prometheus.io/path": "/metrics",
      };
  copy.metadata.annotations = { ...own, [Annotation.injected]: "true", ...scrape };
  // The API server refuses a pod whose annotations pass 256 KiB: never be what pushes it over.
  const annotationBytes = Object.entries(copy.metadata.annotations).reduce(
    (sum, [k, v]) => sum + Buffer.byteLength(k) + Buffer.byteLength(v),
    0,
  );
  if (annotationBytes > maxAnnotationBytes)
    throw new Error(`the pod's annotations would pass ${maxAnnotationBytes} bytes with the sidecar's`);
  copy.spec ??= { containers: [] };
  if (settings.nativeSidecars) {
    copy.spec.initContainers = [...(copy.spec.initContainers ?? []), { ...sidecar, restartPolicy: "Always" }];
  } else {
    copy.spec.containers = [...copy.spec.containers, sidecar];
  }
  return copy;
}

/** The JSON patch from the pod as admitted to the mutated pod: computed by diffing, never hand-assembled. */
export function injectionPatch(original: V1Pod, mutated: V1Pod): Operation[] {
  return jsonPatch.compare(original as object, mutated as object);
}
