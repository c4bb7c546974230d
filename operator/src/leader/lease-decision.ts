import { isDeepStrictEqual } from "node:util";

/** The Lease fields leader election reads and writes (times as RFC 3339 strings). */
export interface LeaseRecord {
  holderIdentity?: string | undefined;
  leaseDurationSeconds?: number | undefined;
  acquireTime?: string | undefined;
  renewTime?: string | undefined;
  leaseTransitions?: number | undefined;
}

/** What this replica last saw of the lease, and when it saw it change, by its own monotonic clock. */
export interface LeaseObservation {
  record: LeaseRecord;
  observedAtMs: number;
}

/**
 * Records a read of the lease: the observation time moves only when the record changed. As client-go's
 * leaderelection, a holder's liveness is judged by when *this* replica saw its record change, never by
 * the renewTime another machine's clock wrote. Pure.
 */
export function observeLease(
  previous: LeaseObservation | undefined,
  record: LeaseRecord,
  nowMs: number,
): LeaseObservation {
  return previous && isDeepStrictEqual(previous.record, record) ? previous : { record, observedAtMs: nowMs };
}

export type LeaseAction = "renew" | "take" | "follow";

/**
 * What a candidate does with the lease it observed: renew its own, take one that is free or whose
 * record has not changed for a lease duration (local time), or follow a live leader. Pure.
 */
export function decideLeaseAction(
  observation: LeaseObservation | undefined,
  identity: string,
  nowMs: number,
  defaultDurationSeconds: number,
): LeaseAction {
  const record = observation?.record;
  if (!observation || !record?.holderIdentity) return "take";
  if (record.holderIdentity === identity) return "renew";
  const durationMs = (record.leaseDurationSeconds ?? defaultDurationSeconds) * 1000;
  return nowMs > observation.observedAtMs + durationMs ? "take" : "follow";
}

/**
 * A leader whose last successful renewal (sent at `renewedAtMs`, local monotonic time) is a renew
 * deadline old must stop leading: the deadline is shorter than the lease, so it stops before any other
 * replica may take the lease. Pure.
 */
export function leadershipLapsed(renewedAtMs: number, nowMs: number, renewDeadlineMs: number): boolean {
  return nowMs - renewedAtMs >= renewDeadlineMs;
}

/** client-go's proportions: renew deadline 2/3 of the lease (10 s of 15 s); retry a fifth of it. */
export function electionTimings(leaseDurationSeconds: number): { renewDeadlineMs: number; retryPeriodMs: number } {
  const leaseMs = leaseDurationSeconds * 1000;
  return { renewDeadlineMs: Math.round((leaseMs * 2) / 3), retryPeriodMs: Math.max(200, Math.round(leaseMs / 5)) };
}
