import type { CoreV1Api } from "@kubernetes/client-node";
import type { NamespaceResourcePolicy } from "./resource-fit.js";

/**
 * A namespace's LimitRanges and ResourceQuotas, read at each injection (quota usage changes with every
 * pod, so it is not cached).
 */
export function namespaceResourcePolicy(core: CoreV1Api): (namespace: string) => Promise<NamespaceResourcePolicy> {
  return async (namespace) => {
    const [limitRanges, quotas] = await Promise.all([
      core.listNamespacedLimitRange({ namespace }),
      core.listNamespacedResourceQuota({ namespace }),
    ]);
    return { limitRanges: limitRanges.items, quotas: quotas.items };
  };
}
