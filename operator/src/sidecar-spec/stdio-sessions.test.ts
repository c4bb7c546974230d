import { describe, expect, it } from "vitest";
import { stdioSessionsForLimit } from "./stdio-sessions.js";

const mi = 2 ** 20;

describe("stdioSessionsForLimit", () => {
  it("fits the sessions in the limit after the sidecar and its health session", () => {
    // The default limit: 4 × 32 MiB over 128 MiB (server-everything's measured 82 + 28 each fits: 194 MiB).
    expect(stdioSessionsForLimit(256 * mi)).toBe(4);
    expect(stdioSessionsForLimit(1024 * mi)).toBe(28);
    expect(stdioSessionsForLimit(512 * mi)).toBe(12);
  });

  it("keeps at least one session and at most the sidecar's own default", () => {
    expect(stdioSessionsForLimit(100 * mi)).toBe(1);
    expect(stdioSessionsForLimit(64 * 1024 * mi)).toBe(64);
  });

  it("leaves the sidecar's default when nothing bounds memory", () => {
    expect(stdioSessionsForLimit(undefined)).toBeUndefined();
    expect(stdioSessionsForLimit(Number.NaN)).toBeUndefined();
    expect(stdioSessionsForLimit(0)).toBeUndefined();
  });
});
