import { describe, expect, it } from "vitest";
import { decideLeaseAction } from "./lease-decision.js";

const now = new Date("2026-11-24T12:00:00Z");
const ago = (s: number) => new Date(now.getTime() - s * 1000);

describe("decideLeaseAction", () => {
  it("takes a lease nobody holds", () => {
    expect(decideLeaseAction(undefined, "a", now, 15)).toBe("take");
    expect(decideLeaseAction({ holderIdentity: "" }, "a", now, 15)).toBe("take");
  });
  it("renews its own lease", () => {
    expect(decideLeaseAction({ holderIdentity: "a", renewTime: ago(5), leaseDurationSeconds: 15 }, "a", now, 15)).toBe(
      "renew",
    );
  });
  it("follows a leader whose lease is live, and takes over once it expired", () => {
    expect(decideLeaseAction({ holderIdentity: "b", renewTime: ago(10), leaseDurationSeconds: 15 }, "a", now, 15)).toBe(
      "follow",
    );
    expect(decideLeaseAction({ holderIdentity: "b", renewTime: ago(16), leaseDurationSeconds: 15 }, "a", now, 15)).toBe(
      "take",
    );
  });
});
