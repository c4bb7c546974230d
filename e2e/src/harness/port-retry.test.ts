import { describe, expect, it } from "vitest";
import { retryOnPortClash } from "./port-retry.js";

describe("retryOnPortClash", () => {
  it("starts again after a lost port, and gives up after the last attempt", async () => {
    let calls = 0;
    const flaky = async () => {
      calls++;
      if (calls < 3) throw new Error("listen tcp 127.0.0.1:39235: bind: address already in use");
      return "started";
    };
    await expect(retryOnPortClash(flaky)).resolves.toBe("started");
    calls = -10;
    await expect(retryOnPortClash(flaky, 2)).rejects.toThrow("address already in use");
  });

  it("does not retry other failures", async () => {
    let calls = 0;
    await expect(
      retryOnPortClash(async () => {
        calls++;
        throw new Error("bad config");
      }),
    ).rejects.toThrow("bad config");
    expect(calls).toBe(1);
  });
});
