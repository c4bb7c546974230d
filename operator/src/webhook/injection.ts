import type { V1Container, V1Pod } from "@kubernetes/client-node";
import {
  defaultMcpPath,
  serverNamePattern,
  serverNameRule,
  type UpstreamTransport,
  upstreamTransports,
} from "@mcpscope/sidecar/constants";
import jsonPatch, { type Operation } from "fast-json-patch";
import { Annotation } from "../api/names.js";
import { buildSidecarContainer, sidecarContainerName } from "../sidecar-spec/sidecar-container.js";

export const injectNamespaceLabel = Annotation.inject; // namespaces opt in with mcpscope.dev/inject=enabled

export interface InjectionSettings {
  sidecarImage: string;
  otlpEndpoint?: string | undefined;
  /** initContainers with restartPolicy: Always (Kubernetes ≥ 1.29) instead of a regular container. */
  nativeSidecars: boolean;
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
  return {
    upstreamPort: port(a[Annotation.upstreamPort], Annotation.upstreamPort, firstPort),
    upstreamPath: path,
    serverName,
    transport,
    sidecarPort: port(a[Annotation.sidecarPort], Annotation.sidecarPort, 4000),
    metricsPort: port(a[Annotation.metricsPort], Annotation.metricsPort, 9464),
  };
}

/** The pod with the sidecar added and marked injected. Pure: returns a new object. */
export function injectSidecar(pod: V1Pod, settings: InjectionSettings): V1Pod {
  const params = readSidecarAnnotations(pod);
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
  });
  const copy = structuredClone(pod) as V1Pod;
  copy.metadata ??= {};
  copy.metadata.annotations = {
    ...copy.metadata.annotations,
    [Annotation.injected]: "true",
    "prometheus.io/scrape": "true",
    "prometheus.io/port": String(params.metricsPort),
    "prometheus.io/path": "/metrics",
  };
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
