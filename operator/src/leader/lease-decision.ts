export interface ObservedLease {
  holderIdentity?: string | undefined;
  renewTime?: Date | undefined;
  leaseDurationSeconds?: number | undefined;
}

export type LeaseAction = "renew" | "take" | "follow";

/**
 * What a candidate does with the lease it read: renew its own, take one that is free or expired, or
 * follow a live leader. Pure, as client-go's leaderelection decides before it writes.
 */
export function decideLeaseAction(
  lease: ObservedLease | undefined,
  identity: string,
  now: Date,
  defaultDurationSeconds: number,
): LeaseAction {
  if (!lease?.holderIdentity) return "take";
  if (lease.holderIdentity === identity) return "renew";
  const duration = (lease.leaseDurationSeconds ?? defaultDurationSeconds) * 1000;
  const renewed = lease.renewTime?.getTime() ?? 0;
  return now.getTime() > renewed + duration ? "take" : "follow";
}
