import { describe, expect, it } from "vitest";
import { replicaPeers, staticPeerIps } from "./peers.js";

describe("replicaPeers", () => {
  it("takes a list of IPs as the fixed peer set, in canonical form", async () => {
    const peers = replicaPeers({ source: "10.0.0.2, fd00::0a" });
    expect(await peers.isPeer("10.0.0.2")).toBe(true);
    expect(await peers.isPeer("fd00::a")).toBe(true);
    expect(await peers.isPeer("10.0.0.3")).toBe(false);
  });

  it("resolves a DNS name with the system resolver", async () => {
    const peers = replicaPeers({ source: "localhost" });
    expect(await peers.isPeer("127.0.0.1")).toBe(true);
    expect(await peers.isPeer("10.9.9.9")).toBe(false);
  });

  it("looks the name up again when an IP is missing or the answer is old, not on every request", async () => {
    let clock = 0;
    const answers = [["10.0.0.2"], ["10.0.0.2", "10.0.0.3"], ["10.0.0.3"]];
    const lookups: string[] = [];
    const peers = replicaPeers({
      source: "mcp-peers.ns.svc",
      now: () => clock,
      maxAgeMs: 5_000,
      missRefreshMs: 500,
      resolve: async (name) => {
        lookups.push(name);
        return answers[Math.min(lookups.length - 1, answers.length - 1)] as string[];
      },
    });
    expect(await peers.isPeer("10.0.0.2")).toBe(true);
    expect(await peers.isPeer("10.0.0.2")).toBe(true);
    // A new pod's IP, right after an answer: not looked up again within missRefreshMs.
    expect(await peers.isPeer("10.0.0.3")).toBe(false);
    clock = 600;
    expect(await peers.isPeer("10.0.0.3")).toBe(true);
    clock = 6_000;
    expect(await peers.isPeer("10.0.0.2")).toBe(false);
    expect(lookups).toHaveLength(3);
  });

  it("keeps the last answer when a lookup fails", async () => {
    let clock = 0;
    let fail = false;
    const peers = replicaPeers({
      source: "mcp-peers.ns.svc",
      now: () => clock,
      resolve: async () => {
        if (fail) throw Object.assign(new Error("queryA ESERVFAIL"), { code: "ESERVFAIL" });
        return ["10.0.0.2"];
      },
    });
    expect(await peers.isPeer("10.0.0.2")).toBe(true);
    fail = true;
    clock = 60_000;
    expect(await peers.isPeer("10.0.0.2")).toBe(true);
  });

  it("tells a list of IPs from a DNS name", () => {
    expect(staticPeerIps("10.0.0.1,10.0.0.2")).toEqual(["10.0.0.1", "10.0.0.2"]);
    expect(staticPeerIps("mcp-peers.default.svc")).toBeUndefined();
    expect(staticPeerIps("10.0.0.1,mcp-peers")).toBeUndefined();
  });
});
