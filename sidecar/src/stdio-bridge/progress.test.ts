import { describe, expect, it } from "vitest";
import { ProgressRoutes, progressNotificationToken, progressTokenOf } from "./progress.js";

describe("progressTokenOf", () => {
  it("reads the token a request asks progress with", () => {
    const call = { jsonrpc: "2.0", id: 7, method: "tools/call", params: { name: "x", _meta: { progressToken: 7 } } };
    expect(progressTokenOf(call as never)).toBe(7);
    expect(progressTokenOf({ jsonrpc: "2.0", id: 8, method: "tools/list" })).toBeUndefined();
    expect(progressTokenOf({ jsonrpc: "2.0", method: "notifications/initialized" })).toBeUndefined();
  });
});

describe("progressNotificationToken", () => {
  it("reads the token of a progress notification only", () => {
    const progress = { jsonrpc: "2.0", method: "notifications/progress", params: { progressToken: "t", progress: 1 } };
    expect(progressNotificationToken(progress as never)).toBe("t");
    const message = { jsonrpc: "2.0", method: "notifications/message", params: { progressToken: "t" } };
    expect(progressNotificationToken(message as never)).toBeUndefined();
  });
});

describe("ProgressRoutes", () => {
  it("routes a token to its running request, and still to it once answered", () => {
    const routes = new ProgressRoutes();
    routes.requested("a", 1);
    expect(routes.requestOf("a")).toBe(1);
    routes.answeredRequest(1);
    expect(routes.requestOf("a")).toBe(1);
  });

  it("knows nothing of a token no request asked with", () => {
    expect(new ProgressRoutes().requestOf("never")).toBeUndefined();
  });

  it("routes a reused token to the newest request that asked with it", () => {
    const routes = new ProgressRoutes();
    routes.requested(5, 5);
    routes.answeredRequest(5);
    routes.requested(5, 9);
    expect(routes.requestOf(5)).toBe(9);
  });

  it("keeps only the most recently answered tokens", () => {
    const routes = new ProgressRoutes(2);
    for (const id of [1, 2, 3]) {
      routes.requested(id, id);
      routes.answeredRequest(id);
    }
    expect([1, 2, 3].map((token) => routes.requestOf(token))).toEqual([undefined, 2, 3]);
  });
});
