import { describe, expect, it } from "vitest";
import { endpointNameOf, replicaPeers, staticPeerIps } from "./peers.js";

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
        if (name !== "mcp-peers.ns.svc")
          throw Object.assign(new Error(`queryA ENOTFOUND ${name}`), { code: "ENOTFOUND" });
        const serviceLookups = lookups.filter((n) => n === name).length;
        return answers[Math.min(serviceLookups - 1, answers.length - 1)] as string[];
      },
    });
    expect(await peers.isPeer("10.0.0.2")).toBe(true);
    expect(await peers.isPeer("10.0.0.2")).toBe(true);
    // A new pod's IP, right after an answer: the Service is not looked up again within missRefreshMs
    // (its endpoint name is, and is not listed yet).
    expect(await peers.isPeer("10.0.0.3")).toBe(false);
    clock = 600;
    expect(await peers.isPeer("10.0.0.3")).toBe(true);
    clock = 6_000;
    expect(await peers.isPeer("10.0.0.2")).toBe(false);
    expect(lookups).toEqual([
      "mcp-peers.ns.svc",
      "10-0-0-3.mcp-peers.ns.svc",
      "mcp-peers.ns.svc",
      "mcp-peers.ns.svc",
      "10-0-0-2.mcp-peers.ns.svc",
    ]);
  });

  it("takes a new pod its Service's (cached) answer does not list yet when its own endpoint name is listed", async () => {
    const clock = 0;
    const lookups: string[] = [];
    // Cluster DNS caches the Service's answer (CoreDNS: up to 30 s); the new pod's endpoint name is fresh.
    const records: Record<string, string[]> = {
      "mcp-peers.ns.svc": ["10.0.0.2"],
      "10-0-0-3.mcp-peers.ns.svc": ["10.0.0.3"],
      "fd00--a.mcp-peers.ns.svc": ["fd00::a"],
      // Not a replica's record: the endpoint name of one IP that answers another.
      "10-0-0-4.mcp-peers.ns.svc": ["10.0.0.5"],
    };
    const peers = replicaPeers({
      source: "mcp-peers.ns.svc",
      now: () => clock,
      resolve: async (name) => {
        lookups.push(name);
        const answer = records[name];
        if (!answer) throw Object.assign(new Error(`queryA ENOTFOUND ${name}`), { code: "ENOTFOUND" });
        return answer;
      },
    });
    expect(await peers.isPeer("10.0.0.3")).toBe(true);
    expect(await peers.isPeer("fd00::a")).toBe(true);
    expect(await peers.isPeer("10.0.0.4")).toBe(false);
    expect(await peers.isPeer("10.9.9.9")).toBe(false);
    // Asked once each while the answers are young.
    expect(await peers.isPeer("10.0.0.3")).toBe(true);
    expect(await peers.isPeer("10.9.9.9")).toBe(false);
    expect(lookups.filter((n) => n === "10-0-0-3.mcp-peers.ns.svc")).toHaveLength(1);
    expect(lookups.filter((n) => n === "10-9-9-9.mcp-peers.ns.svc")).toHaveLength(1);
  });

  it("names a headless Service's endpoints as cluster DNS does", () => {
    expect(endpointNameOf("10.244.0.17", "srv-peers.team.svc")).toBe("10-244-0-17.srv-peers.team.svc");
    expect(endpointNameOf("fd00:10:244::11", "srv-peers")).toBe("fd00-10-244--11.srv-peers");
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
