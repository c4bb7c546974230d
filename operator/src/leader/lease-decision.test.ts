import { describe, expect, it } from "vitest";
import {
  decideLeaseAction,
  electionTimings,
  type LeaseRecord,
  leadershipLapsed,
  observeLease,
} from "./lease-decision.js";

const held = (holder: string, renewTime: string): LeaseRecord => ({
  holderIdentity: holder,
  leaseDurationSeconds: 15,
  renewTime,
});

describe("observeLease", () => {
  it("moves the observation time only when the record changed", () => {
    const first = observeLease(undefined, held("b", "2026-11-24T12:00:00Z"), 1_000);
    expect(observeLease(first, held("b", "2026-11-24T12:00:00Z"), 9_000).observedAtMs).toBe(1_000);
    expect(observeLease(first, held("b", "2026-11-24T12:00:02Z"), 9_000).observedAtMs).toBe(9_000);
  });
});

describe("decideLeaseAction", () => {
  it("takes a lease nobody holds", () => {
    expect(decideLeaseAction(undefined, "a", 0, 15)).toBe("take");
    expect(decideLeaseAction(observeLease(undefined, { holderIdentity: "" }, 0), "a", 0, 15)).toBe("take");
  });

  it("renews its own lease", () => {
    expect(decideLeaseAction(observeLease(undefined, held("a", "x"), 0), "a", 5_000, 15)).toBe("renew");
  });

  it("follows a leader until its record has not changed for a lease duration of local time", () => {
    const seen = observeLease(undefined, held("b", "2026-11-24T12:00:00Z"), 100_000);
    expect(decideLeaseAction(seen, "a", 100_000 + 15_000, 15)).toBe("follow");
    expect(decideLeaseAction(seen, "a", 100_000 + 15_001, 15)).toBe("take");
  });

  it("never judges by the renewTime another clock wrote: one far in the past or future changes nothing", () => {
    for (const renewTime of ["1970-01-01T00:00:00Z", "2099-01-01T00:00:00Z"]) {
      const seen = observeLease(undefined, held("b", renewTime), 50_000);
      expect(decideLeaseAction(seen, "a", 51_000, 15)).toBe("follow");
      expect(decideLeaseAction(seen, "a", 65_001, 15)).toBe("take");
    }
  });

  it("keeps following a leader that keeps renewing, however long ago it started", () => {
    let seen = observeLease(undefined, held("b", "t0"), 0);
    for (let t = 1; t <= 100; t++) {
      seen = observeLease(seen, held("b", `t${t}`), t * 10_000);
      expect(decideLeaseAction(seen, "a", t * 10_000 + 14_000, 15)).toBe("follow");
    }
  });

  it("uses the lease's own duration, else the default", () => {
    const seen = observeLease(undefined, { holderIdentity: "b", leaseDurationSeconds: 2 }, 0);
    expect(decideLeaseAction(seen, "a", 2_001, 15)).toBe("take");
    const noDuration = observeLease(undefined, { holderIdentity: "b" }, 0);
    expect(decideLeaseAction(noDuration, "a", 2_001, 15)).toBe("follow");
  });
});

describe("leadershipLapsed", () => {
  it("lapses a renew deadline after the last successful renewal, before the lease could be taken", () => {
    const { renewDeadlineMs, retryPeriodMs } = electionTimings(15);
    expect(renewDeadlineMs).toBe(10_000);
    expect(retryPeriodMs).toBeLessThan(renewDeadlineMs);
    expect(leadershipLapsed(1_000, 1_000 + renewDeadlineMs - 1, renewDeadlineMs)).toBe(false);
    expect(leadershipLapsed(1_000, 1_000 + renewDeadlineMs, renewDeadlineMs)).toBe(true);
    // A follower that saw the renewal no earlier than it was sent may take only a lease duration later.
    const seen = observeLease(undefined, held("b", "t"), 1_000);
    expect(decideLeaseAction(seen, "a", 1_000 + renewDeadlineMs, 15)).toBe("follow");
  });
});
