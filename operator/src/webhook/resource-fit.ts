import type { V1LimitRange, V1Pod, V1ResourceQuota, V1ResourceRequirements } from "@kubernetes/client-node";
import { parseQuantity } from "./quantity.js";

/** What the namespace says about container resources: its LimitRanges and ResourceQuotas. */
export interface NamespaceResourcePolicy {
  limitRanges: readonly V1LimitRange[];
  quotas: readonly V1ResourceQuota[];
}

export type ResourceFit = { fits: true; resources: V1ResourceRequirements } | { fits: false; reason: string };

/** Below these the sidecar cannot run: a LimitRange that allows less means no injection. */
const floors: Record<string, string> = { memory: "64Mi", cpu: "10m" };
/** The limit a quota's `limits.<r>` demands, when no LimitRange default names one (memory: the request first). */
const fallbackLimits: Record<string, string> = { cpu: "500m", memory: "256Mi" };

type Quantities = Record<string, string>;

/**
 * The sidecar's resources made to fit the namespace, so that injection never turns an admissible pod
 * into a refused one: limits required by a quota are added (the LimitRange's default, else a fixed
 * value), values are clamped to the LimitRange's min and max, and a pod whose quota has room for
 * itself but not for the sidecar is left uninjected — with the reason. Pure.
 */
export function fitSidecarResources(
  pod: V1Pod,
  wanted: V1ResourceRequirements,
  policy: NamespaceResourcePolicy,
): ResourceFit {
  const requests: Quantities = { ...(wanted.requests as Quantities | undefined) };
  const limits: Quantities = { ...(wanted.limits as Quantities | undefined) };
  const containerItems = policy.limitRanges.flatMap((lr) =>
    (lr.spec?.limits ?? [])
      .filter((l) => l.type === "Container")
      .map((item) => ({ name: lr.metadata?.name ?? "", item })),
  );
  const hard = (key: string) => policy.quotas.some((q) => q.spec?.hard?.[key] !== undefined);

  for (const resource of ["cpu", "memory"]) {
    // A quota on limits.<r> (or requests.<r>) refuses containers that do not state it.
    if (limits[resource] === undefined && hard(`limits.${resource}`)) {
      // client-node names the LimitRange's `default` field `_default`.
      const rangeDefault = containerItems.map(({ item }) => item._default?.[resource]).find((v) => v !== undefined);
      limits[resource] =
        rangeDefault ?? (resource === "memory" ? requests[resource] : undefined) ?? fallbackLimits[resource] ?? "";
    }
    if (requests[resource] === undefined && (hard(`requests.${resource}`) || hard(resource))) {
      requests[resource] = limits[resource] ?? floors[resource] ?? "0";
    }
    for (const { name, item } of containerItems) {
      const max = item.max?.[resource];
      const min = item.min?.[resource];
      if (max !== undefined) {
        if (less(max, floors[resource])) {
          return {
            fits: false,
            reason: `LimitRange ${name} allows containers at most ${resource}=${max}; the sidecar needs ${floors[resource]}`,
          };
        }
        if (limits[resource] !== undefined && less(max, limits[resource])) limits[resource] = max;
        if (limits[resource] === undefined) limits[resource] = max;
        if (requests[resource] !== undefined && less(max, requests[resource])) requests[resource] = max;
      }
      if (min !== undefined) {
        if (requests[resource] === undefined || less(requests[resource], min)) requests[resource] = min;
        if (limits[resource] !== undefined && less(limits[resource], min)) limits[resource] = min;
      }
    }
    if (
      requests[resource] !== undefined &&
      limits[resource] !== undefined &&
      less(limits[resource], requests[resource])
    )
      requests[resource] = limits[resource];
  }

  const resources: V1ResourceRequirements = {
    ...(Object.keys(requests).length > 0 ? { requests } : {}),
    ...(Object.keys(limits).length > 0 ? { limits } : {}),
  };
  const refusal = quotaRefusal(pod, resources, policy.quotas);
  return refusal ? { fits: false, reason: refusal } : { fits: true, resources };
}

/** A quota that has room for the pod alone but not for the pod with the sidecar. */
function quotaRefusal(
  pod: V1Pod,
  sidecar: V1ResourceRequirements,
  quotas: readonly V1ResourceQuota[],
): string | undefined {
  const containers = [...(pod.spec?.containers ?? []), ...(pod.spec?.initContainers ?? [])];
  for (const quota of quotas) {
    for (const [key, hardValue] of Object.entries(quota.spec?.hard ?? {})) {
      const [kind, resource] = key.includes(".") ? (key.split(".", 2) as [string, string]) : ["requests", key];
      if ((kind !== "requests" && kind !== "limits") || (resource !== "cpu" && resource !== "memory")) continue;
      const of = (r: V1ResourceRequirements | undefined) =>
        parseQuantity((kind === "limits" ? r?.limits : r?.requests)?.[resource]) ?? 0;
      const room = (parseQuantity(hardValue) ?? 0) - (parseQuantity(quota.status?.used?.[key]) ?? 0);
      const podAlone = containers.reduce((sum, c) => sum + of(c.resources), 0);
      if (podAlone <= room && podAlone + of(sidecar) > room) {
        return `ResourceQuota ${quota.metadata?.name ?? ""} has room for the pod's ${key} but not for the sidecar's`;
      }
    }
  }
  return undefined;
}

function less(a: string | undefined, b: string | undefined): boolean {
  const x = parseQuantity(a);
  const y = parseQuantity(b);
  return x !== undefined && y !== undefined && x < y;
}
