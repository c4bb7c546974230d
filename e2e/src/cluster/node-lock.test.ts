import { describe, expect, it } from "vitest";
import { lockNodeCluster } from "./node-lock.js";

describe("lockNodeCluster", () => {
  it("lets one holder at a time in, and the next once the first releases", async () => {
    const release = await lockNodeCluster();
    let second: (() => Promise<void>) | undefined;
    const waiting = lockNodeCluster().then((r) => {
      second = r;
    });
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(second).toBeUndefined();
    await release();
    await waiting;
    expect(second).toBeDefined();
    await second?.();
  });
});
