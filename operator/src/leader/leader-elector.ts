import { CoordinationV1Api, type KubeConfig, type V1Lease, V1MicroTime } from "@kubernetes/client-node";
import type { Logger } from "pino";
import { orUndefinedIfAbsent } from "../kube-errors.js";
import {
  decideLeaseAction,
  electionTimings,
  type LeaseObservation,
  type LeaseRecord,
  leadershipLapsed,
  observeLease,
} from "./lease-decision.js";

/** The elector's time: a monotonic clock for every judgement, the wall clock only for what it writes. */
export interface ElectionClock {
  monotonicMs(): number;
  now(): Date;
}

export const systemClock: ElectionClock = { monotonicMs: () => performance.now(), now: () => new Date() };

export interface LeaderElectionOptions {
  kubeConfig: KubeConfig;
  namespace: string;
  leaseName: string;
  identity: string;
  leaseDurationSeconds?: number;
  /** How long a leader keeps leading without a successful renewal; less than the lease duration. */
  renewDeadlineMs?: number;
  retryPeriodMs?: number;
  /** Release the lease on stop() so another replica takes over at once (client-go's ReleaseOnCancel). */
  releaseOnStop?: boolean;
  clock?: ElectionClock;
  onStartedLeading: () => void | Promise<void>;
  onStoppedLeading: () => void | Promise<void>;
  logger: Logger;
}

export interface LeaderElector {
  /** Leading now: elected, and the last renewal is within the renew deadline by this replica's clock. */
  isLeader(): boolean;
  /** Stops campaigning; a leader releases the lease (unless releaseOnStop is false). */
  stop(): Promise<void>;
}

/**
 * Leader election on a coordination.k8s.io Lease, as client-go's leaderelection: optimistic concurrency
 * (resourceVersion) decides races; another holder's lease is expired when this replica has not seen its
 * record change for a lease duration (its own monotonic clock, never another machine's renewTime); a
 * leader stops leading once a renew deadline passes without a successful renewal, before any other
 * replica may take the lease.
 */
export function startLeaderElection(options: LeaderElectionOptions): LeaderElector {
  const api = options.kubeConfig.makeApiClient(CoordinationV1Api);
  const duration = options.leaseDurationSeconds ?? 15;
  const timings = electionTimings(duration);
  const renewDeadlineMs = options.renewDeadlineMs ?? timings.renewDeadlineMs;
  const retryMs = options.retryPeriodMs ?? timings.retryPeriodMs;
  if (!(retryMs < renewDeadlineMs && renewDeadlineMs < duration * 1000))
    throw new Error("leader election needs retry period < renew deadline < lease duration");
  const clock = options.clock ?? systemClock;
  const { namespace, leaseName: name, identity, logger } = options;
  let leader = false;
  let stopped = false;
  /** When the last successful renewal was sent (monotonic). */
  let renewedAtMs = Number.NEGATIVE_INFINITY;
  let observation: LeaseObservation | undefined;
  let timer: NodeJS.Timeout | undefined;
  let round: Promise<void> = Promise.resolve();

  const leading = () => leader && !leadershipLapsed(renewedAtMs, clock.monotonicMs(), renewDeadlineMs);

  /** The callbacks run in order, apart from the election rounds: renewing never waits for a controller to start. */
  let transitions: Promise<void> = Promise.resolve();
  const setLeader = (value: boolean) => {
    if (leader === value) return;
    leader = value;
    logger.info({ identity, lease: `${namespace}/${name}` }, value ? "became leader" : "stopped leading");
    transitions = transitions
      .then(() => (value ? options.onStartedLeading() : options.onStoppedLeading()))
      .catch((error: unknown) => logger.error({ err: error }, "leader election callback failed"));
  };

  const leaseBody = (existing: V1Lease | undefined, record: LeaseRecord): V1Lease => ({
    apiVersion: "coordination.k8s.io/v1",
    kind: "Lease",
    metadata: {
      name,
      namespace,
      ...(existing?.metadata?.resourceVersion ? { resourceVersion: existing.metadata.resourceVersion } : {}),
    },
    spec: {
      holderIdentity: record.holderIdentity,
      leaseDurationSeconds: record.leaseDurationSeconds,
      acquireTime: new V1MicroTime(record.acquireTime ?? clock.now()),
      renewTime: new V1MicroTime(record.renewTime ?? clock.now()),
      leaseTransitions: record.leaseTransitions,
    },
  });

  const tryAcquireOrRenew = async () => {
    const sentAt = clock.monotonicMs();
    const existing = await orUndefinedIfAbsent(api.readNamespacedLease({ name, namespace }));
    if (existing) observation = observeLease(observation, recordOf(existing), clock.monotonicMs());
    const action = existing ? decideLeaseAction(observation, identity, clock.monotonicMs(), duration) : "take";
    if (action === "follow") {
      setLeader(false);
      return;
    }
    const previous = existing ? observation?.record : undefined;
    const wallNow = clock.now().toISOString();
    const record: LeaseRecord = {
      holderIdentity: identity,
      leaseDurationSeconds: duration,
      // A leader that keeps the lease keeps its acquire time and the transition count.
      acquireTime: action === "renew" ? (previous?.acquireTime ?? wallNow) : wallNow,
      renewTime: wallNow,
      leaseTransitions: (previous?.leaseTransitions ?? 0) + (action === "take" && previous?.holderIdentity ? 1 : 0),
    };
    const written = existing
      ? await api.replaceNamespacedLease({ name, namespace, body: leaseBody(existing, record) })
      : await api.createNamespacedLease({ namespace, body: leaseBody(undefined, record) });
    observation = { record: recordOf(written), observedAtMs: clock.monotonicMs() };
    renewedAtMs = sentAt;
    // A round slower than the renew deadline renewed a lease this replica may no longer count on.
    setLeader(!leadershipLapsed(renewedAtMs, clock.monotonicMs(), renewDeadlineMs));
  };

  const tick = async () => {
    // First the deadline: a replica resumed after a pause stops leading before anything else runs.
    if (leader && !leading()) setLeader(false);
    try {
      await tryAcquireOrRenew();
    } catch (error) {
      const code = (error as { code?: number }).code;
      if (code !== 409) logger.warn({ err: error }, "leader election round failed");
      if (leader && !leading()) setLeader(false);
    }
  };
  const loop = () => {
    if (stopped) return;
    round = tick().finally(() => {
      if (!stopped) timer = setTimeout(loop, retryMs);
    });
  };
  loop();

  return {
    isLeader: leading,
    async stop() {
      stopped = true;
      clearTimeout(timer);
      await round;
      if (leader && options.releaseOnStop !== false) {
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
      }
      setLeader(false);
      await transitions;
    },
  };
}

/** The record as read: MicroTime arrives as a Date or an RFC 3339 string depending on the deserializer. */
function recordOf(lease: V1Lease): LeaseRecord {
  const time = (value: unknown) =>
    value instanceof Date ? value.toISOString() : typeof value === "string" ? value : undefined;
  return {
    holderIdentity: lease.spec?.holderIdentity,
    leaseDurationSeconds: lease.spec?.leaseDurationSeconds,
    acquireTime: time(lease.spec?.acquireTime),
    renewTime: time(lease.spec?.renewTime),
    leaseTransitions: lease.spec?.leaseTransitions,
  };
}
