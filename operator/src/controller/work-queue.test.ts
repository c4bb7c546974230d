import { describe, expect, it } from "vitest";
import { WorkQueue } from "./work-queue.js";

describe("WorkQueue", () => {
  it("deduplicates keys waiting in the queue", async () => {
    const q = new WorkQueue();
    q.add("ns/a");
    q.add("ns/a");
    q.add("ns/b");
    expect(q.length).toBe(2);
    expect(await q.get()).toBe("ns/a");
    expect(await q.get()).toBe("ns/b");
  });

  it("never hands a key being processed to a second worker, and requeues it when done", async () => {
    const q = new WorkQueue();
    q.add("ns/a");
    const key = await q.get();
    q.add("ns/a");
    expect(q.length).toBe(0);
    q.done(key ?? "");
    expect(q.length).toBe(1);
  });

  it("backs off exponentially per key until forgotten", () => {
    const q = new WorkQueue({ baseDelayMs: 10, maxDelayMs: 50 });
    expect([q.recordFailure("k"), q.recordFailure("k"), q.recordFailure("k"), q.recordFailure("k")]).toEqual([
      10, 20, 40, 50,
    ]);
    expect(q.recordFailure("other")).toBe(10);
    q.forget("k");
    expect(q.recordFailure("k")).toBe(10);
  });

  it("wakes a waiting worker on add and releases waiters on shutdown", async () => {
    const q = new WorkQueue();
    const waiting = q.get();
    q.add("ns/x");
    expect(await waiting).toBe("ns/x");
    const released = q.get();
    q.shutDown();
    expect(await released).toBeUndefined();
  });
});

describe("WorkQueue background lane", () => {
  it("serves new work before the keys of a (re)list, and moves a listed key forward when it changes", async () => {
    const q = new WorkQueue();
    for (const key of ["ns/old-1", "ns/old-2", "ns/old-3"]) q.addBackground(key);
    q.add("ns/new");
    q.add("ns/old-3");
    expect(q.length).toBe(4);
    const order: string[] = [];
    for (let i = 0; i < 4; i++) {
      const key = (await q.get()) ?? "";
      order.push(key);
      q.done(key);
    }
    expect(order).toEqual(["ns/new", "ns/old-3", "ns/old-1", "ns/old-2"]);
  });
});
