import type { V1Container, V1EnvVar, V1Pod } from "@kubernetes/client-node";

/** One container of a pod, as a local process: what a kubelet would exec, with the pod's network mapped. */
export interface ProcessPlan {
  containerName: string;
  command: string[];
  env: Record<string, string>;
}

export interface PodPlanContext {
  /** The image's ENTRYPOINT when the container sets no command (read from our Dockerfiles). */
  entrypointFor(image: string): string[] | undefined;
  /** Container port → the loopback port it gets here (pods share one host, so ports are remapped). */
  ports: ReadonlyMap<number, number>;
  /** "service.namespace:port" → "127.0.0.1:port": cluster DNS as this machine reaches it. */
  services: Readonly<Record<string, string>>;
}

/** The containers a kubelet would keep running: native sidecars (restartable init containers) and containers. */
export function runningContainers(pod: V1Pod): V1Container[] {
  const spec = pod.spec;
  if (!spec) return [];
  const nativeSidecars = (spec.initContainers ?? []).filter((c) => c.restartPolicy === "Always");
  return [...nativeSidecars, ...spec.containers];
}

/** Every port the pod's containers declare: each gets its own loopback port. */
export function declaredPorts(pod: V1Pod): number[] {
  return [...new Set(runningContainers(pod).flatMap((c) => (c.ports ?? []).map((p) => p.containerPort)))];
}

const serviceHost =
  /\b([a-z0-9]([-a-z0-9]*[a-z0-9])?)\.([a-z0-9]([-a-z0-9]*[a-z0-9])?)(\.svc(\.cluster\.local)?)?:(\d+)\b/g;
const loopbackHost = /\b(127\.0\.0\.1|localhost):(\d+)\b/g;

/** Rewrites one env value for this machine: pod-loopback ports and cluster Service addresses. Pure. */
export function mapNetworkValue(value: string, context: Pick<PodPlanContext, "ports" | "services">): string {
  if (/^\d+$/.test(value) && context.ports.has(Number(value))) return String(context.ports.get(Number(value)));
  return value
    .replace(loopbackHost, (whole, _host: string, port: string) => {
      const mapped = context.ports.get(Number(port));
      return mapped === undefined ? whole : `127.0.0.1:${mapped}`;
    })
    .replace(serviceHost, (whole, name: string, _a, namespace: string, _b, _c, _d, port: string) => {
      return context.services[`${name}.${namespace}:${port}`] ?? whole;
    });
}

function fieldValue(pod: V1Pod, fieldPath: string): string {
  switch (fieldPath) {
    case "metadata.name":
      return pod.metadata?.name ?? "";
    case "metadata.namespace":
      return pod.metadata?.namespace ?? "";
    case "status.podIP":
    case "status.hostIP":
      return "127.0.0.1";
    case "spec.nodeName":
      return pod.spec?.nodeName ?? "localhost";
    case "spec.serviceAccountName":
      return pod.spec?.serviceAccountName ?? "default";
    default:
      throw new Error(`the local pod runner cannot resolve fieldRef ${fieldPath}`);
  }
}

/** $(VAR) references in env values and args, as the kubelet expands them. */
function expand(text: string, env: Record<string, string>): string {
  return text.replace(/\$\(([A-Za-z_][A-Za-z0-9_]*)\)/g, (whole, name: string) => env[name] ?? whole);
}

function containerEnv(pod: V1Pod, container: V1Container, context: PodPlanContext): Record<string, string> {
  const env: Record<string, string> = {};
  for (const variable of container.env ?? ([] as V1EnvVar[])) {
    if (variable.valueFrom?.fieldRef) env[variable.name] = fieldValue(pod, variable.valueFrom.fieldRef.fieldPath);
    else if (variable.valueFrom)
      throw new Error(`the local pod runner cannot resolve env ${variable.name} (valueFrom)`);
    else env[variable.name] = mapNetworkValue(expand(variable.value ?? "", env), context);
  }
  return env;
}

/** The local processes for a pod's running containers. Pure; throws on what it cannot run faithfully. */
export function planPod(pod: V1Pod, context: PodPlanContext): ProcessPlan[] {
  return runningContainers(pod).map((container) => {
    if ((container.envFrom ?? []).length > 0) throw new Error(`${container.name}: envFrom is not supported locally`);
    const env = containerEnv(pod, container, context);
    const entrypoint = container.command ?? context.entrypointFor(container.image ?? "");
    if (!entrypoint) throw new Error(`${container.name}: no command and no known entrypoint for ${container.image}`);
    const command = [...entrypoint, ...(container.args ?? [])].map((word) => expand(word, env));
    return { containerName: container.name, command, env };
  });
}
