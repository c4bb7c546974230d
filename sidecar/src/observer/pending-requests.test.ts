import { describe, expect, it } from "vitest";
import { type PendingRequest, PendingRequests } from "./pending-requests.js";

const request = (startedAt: number): PendingRequest => ({
  method: "tools/call",
  toolName: undefined,
  startedAt,
  protocolVersion: undefined,
});

describe("PendingRequests", () => {
  it('keeps the number 1 and the string "1" apart, and takes an entry once', () => {
    const pending = new PendingRequests(10);
    pending.add(PendingRequests.key("s", 1), request(0));
    expect(pending.take(PendingRequests.key("s", "1"))).toBeUndefined();
    expect(pending.take(PendingRequests.key("s", 1))).toBeDefined();
    expect(pending.take(PendingRequests.key("s", 1))).toBeUndefined();
  });

  it("stores client-chosen ids and session ids of any length in bounded keys that still match exactly", () => {
    const longId = "i".repeat(1_000_000);
    const longSession = "s".repeat(10_000);
    const key = PendingRequests.key(longSession, longId);
    expect(key.length).toBeLessThan(200);
    expect(PendingRequests.key(longSession, `${longId}x`)).not.toBe(key);
    const pending = new PendingRequests(10);
    pending.add(key, request(0));
    expect(pending.take(PendingRequests.key(longSession, longId))).toBeDefined();
  });

  it("evicts the oldest entries when the key bytes would pass the bound, handing them back", () => {
    const pending = new PendingRequests(1_000, 1_000);
    const evicted: PendingRequest[] = [];
    for (let i = 0; i < 50; i++) evicted.push(...pending.add(PendingRequests.key(`session-${i}`, i), request(i)));
    expect(pending.keyBytes).toBeLessThanOrEqual(1_000);
    expect(evicted.length).toBe(50 - pending.size);
    expect(evicted[0]?.startedAt).toBe(0);
  });

  it("gives up on 202-accepted entries after their own shorter wait, and on a scope's entries when its stream ends", () => {
    const pending = new PendingRequests(100);
    const accepted = PendingRequests.key("legacy", 1);
    pending.add(accepted, request(0));
    pending.markAccepted(accepted);
    pending.add(PendingRequests.key("other", 2), request(0));
    expect(pending.takeExpired(2_000, 60_000, 1_000)).toHaveLength(1);
    expect(pending.size).toBe(1);
    pending.add(PendingRequests.key("legacy", 3), request(10));
    expect(pending.takeScope("legacy")).toHaveLength(1);
    expect(pending.size).toBe(1);
  });
});
