import {
  CoreV1Api,
  type KubeConfig,
  makeInformer,
  type V1LimitRange,
  type V1ResourceQuota,
} from "@kubernetes/client-node";
import type { Logger } from "pino";
import { SupervisedInformers } from "../supervised-informers.js";
import type { NamespaceResourcePolicy } from "./resource-fit.js";

/**
 * A namespace's LimitRanges and ResourceQuotas read from the API server at each injection, from its watch
 * cache (`resourceVersion: "0"`). A consistent list would wait for etcd's next progress notification
 * whenever other writes moved the revision — up to 100 ms per admission, ≈ 80 ms measured while pods were
 * being created — and the pod being admitted is not stored yet, so no read can promise more than "as of a
 * moment ago" anyway: the quota admission plugin still enforces the quota when the pod is stored.
 */
function namespaceResourcePolicy(core: CoreV1Api): (namespace: string) => Promise<NamespaceResourcePolicy> {
  return async (namespace) => {
    const [limitRanges, quotas] = await Promise.all([
      core.listNamespacedLimitRange({ namespace, resourceVersion: watchCache }),
      core.listNamespacedResourceQuota({ namespace, resourceVersion: watchCache }),
    ]);
    return { limitRanges: limitRanges.items, quotas: quotas.items };
  };
}

/** "Any version the API server has": served from its watch cache without a round trip to etcd. */
const watchCache = "0";

export interface WatchedNamespacePolicies {
  policy(namespace: string): Promise<NamespaceResourcePolicy>;
  /** Both informers follow the API server (else policy() reads). */
  watching(): boolean;
  stop(): Promise<void>;
}

/**
 * Every namespace's LimitRanges and ResourceQuotas kept by two informers, so that an admission makes no
 * API call for them. Until both have listed, and while either is being restarted after an error (e.g. an
 * older ClusterRole without `watch`), each admission reads them instead (namespaceResourcePolicy).
 */
export async function watchNamespacePolicies(
  kubeConfig: KubeConfig,
  logger: Logger,
): Promise<WatchedNamespacePolicies> {
  const core = kubeConfig.makeApiClient(CoreV1Api);
  const limitRanges = makeInformer<V1LimitRange>(kubeConfig, "/api/v1/limitranges", () =>
    core.listLimitRangeForAllNamespaces(),
  );
  const quotas = makeInformer<V1ResourceQuota>(kubeConfig, "/api/v1/resourcequotas", () =>
    core.listResourceQuotaForAllNamespaces(),
  );
  const informers = new SupervisedInformers({ limitranges: limitRanges, resourcequotas: quotas }, logger);
  const read = namespaceResourcePolicy(core);
  await informers.start();
  return {
    policy: async (namespace) =>
      informers.current()
        ? { limitRanges: limitRanges.list(namespace), quotas: quotas.list(namespace) }
        : read(namespace),
    watching: () => informers.current(),
    stop: () => informers.stop(),
  };
}
