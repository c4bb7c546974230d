import { CoordinationV1Api, type KubeConfig, type V1Lease, V1MicroTime } from "@kubernetes/client-node";
import type { Logger } from "pino";
import { orUndefinedIfAbsent } from "../kube-errors.js";
import { decideLeaseAction } from "./lease-decision.js";

export interface LeaderElectionOptions {
  kubeConfig: KubeConfig;
  namespace: string;
  leaseName: string;
  identity: string;
  leaseDurationSeconds?: number;
  retryPeriodMs?: number;
  onStartedLeading: () => void | Promise<void>;
  onStoppedLeading: () => void | Promise<void>;
  logger: Logger;
}

export interface LeaderElector {
  isLeader(): boolean;
  /** Stops campaigning; a leader releases the lease so another replica takes over at once. */
  stop(): Promise<void>;
}

/**
 * Leader election on a coordination.k8s.io Lease with optimistic concurrency (resourceVersion), as
 * client-go does: a failed write means someone else won; a leader that cannot renew steps down.
 */
export function startLeaderElection(options: LeaderElectionOptions): LeaderElector {
  const api = options.kubeConfig.makeApiClient(CoordinationV1Api);
  const duration = options.leaseDurationSeconds ?? 15;
  const retryMs = options.retryPeriodMs ?? 2_000;
  const { namespace, leaseName: name, identity, logger } = options;
  let leader = false;
  let stopped = false;
  let lastRenew = 0;
  let timer: NodeJS.Timeout | undefined;

  const setLeader = async (value: boolean) => {
    if (leader === value) return;
    leader = value;
    logger.info({ identity, lease: `${namespace}/${name}` }, value ? "became leader" : "stopped leading");
    await (value ? options.onStartedLeading() : options.onStoppedLeading());
  };

  const leaseBody = (existing: V1Lease | undefined, transitions: number): V1Lease => ({
    apiVersion: "coordination.k8s.io/v1",
    kind: "Lease",
    metadata: {
      name,
      namespace,
      ...(existing?.metadata?.resourceVersion ? { resourceVersion: existing.metadata.resourceVersion } : {}),
    },
    spec: {
      holderIdentity: identity,
      leaseDurationSeconds: duration,
      acquireTime:
        existing?.spec?.holderIdentity === identity && existing.spec.acquireTime
          ? existing.spec.acquireTime
          : new V1MicroTime(),
      renewTime: new V1MicroTime(),
      leaseTransitions: transitions,
    },
  });

  const tick = async () => {
    try {
      const existing = await orUndefinedIfAbsent(api.readNamespacedLease({ name, namespace }));
      const action = decideLeaseAction(
        existing && {
          holderIdentity: existing.spec?.holderIdentity,
          renewTime: asDate(existing.spec?.renewTime),
          leaseDurationSeconds: existing.spec?.leaseDurationSeconds,
        },
        identity,
        new Date(),
        duration,
      );
      if (action === "follow") {
        await setLeader(false);
      } else {
        const transitions = (existing?.spec?.leaseTransitions ?? 0) + (action === "take" && existing ? 1 : 0);
        if (existing) await api.replaceNamespacedLease({ name, namespace, body: leaseBody(existing, transitions) });
        else await api.createNamespacedLease({ namespace, body: leaseBody(undefined, 0) });
        lastRenew = Date.now();
        await setLeader(true);
      }
    } catch (error) {
      const code = (error as { code?: number }).code;
      if (code !== 409) logger.warn({ err: error }, "leader election round failed");
      // A leader that could not renew within the lease duration must assume it lost the lease.
      if (leader && Date.now() - lastRenew > duration * 1000) await setLeader(false);
    }
    if (!stopped) timer = setTimeout(() => void tick(), retryMs);
  };
  void tick();

  return {
    isLeader: () => leader,
    async stop() {
      stopped = true;
      clearTimeout(timer);
      if (leader) {
        try {
          const existing = await api.readNamespacedLease({ name, namespace });
          if (existing.spec?.holderIdentity === identity) {
            await api.replaceNamespacedLease({
              name,
              namespace,
              body: { ...existing, spec: { ...existing.spec, holderIdentity: "", leaseDurationSeconds: 1 } },
            });
          }
        } catch (error) {
          logger.warn({ err: error }, "could not release the lease");
        }
        await setLeader(false);
      }
    },
  };
}

/** MicroTime arrives as a Date or an RFC 3339 string depending on the client's deserializer. */
function asDate(value: unknown): Date | undefined {
  if (value instanceof Date) return value;
  if (typeof value === "string") return new Date(value);
  return undefined;
}
