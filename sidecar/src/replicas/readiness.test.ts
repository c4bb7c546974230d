import { request } from "undici";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { UpstreamHealthReport } from "../health/upstream-health.js";
import { type RunningModernServer, startModernServer } from "../testing/modern-server.js";
import { startTestSidecar } from "../testing/sidecar-harness.js";
import { withReplicaListing } from "./readiness.js";

let upstream: RunningModernServer;
beforeAll(async () => {
  upstream = await startModernServer();
});
afterAll(async () => {
  await upstream?.close();
});

const report = (status: UpstreamHealthReport["status"]): UpstreamHealthReport => ({
  status,
  upstream: { url: "http://127.0.0.1:3000/mcp", reachable: status !== "unavailable", latencyMs: 1, checkedAt: "t" },
});

describe("withReplicaListing", () => {
  it("keeps a healthy replica out of rotation until the peer Service's answer lists it", () => {
    expect(withReplicaListing(report("ok"), false)).toMatchObject({
      status: "degraded",
      replica: { listedByPeers: false },
    });
    expect(withReplicaListing(report("ok"), true)).toMatchObject({ status: "ok", replica: { listedByPeers: true } });
  });

  it("never makes an unhealthy upstream look better", () => {
    expect(withReplicaListing(report("unavailable"), true).status).toBe("unavailable");
    expect(withReplicaListing(report("degraded"), true).status).toBe("degraded");
  });
});

describe("a routing sidecar's /health", () => {
  // "localhost" is a DNS name the machine resolves (to 127.0.0.1): the peer Service's role.
  for (const [podIp, listed] of [
    ["127.0.0.1", true],
    ["127.0.0.9", false],
  ] as const) {
    it(`is ${listed ? "200" : "503 (not ready)"} when the peer name ${listed ? "lists" : "does not list"} its pod IP`, async () => {
      const sidecar = await startTestSidecar({
        MCP_UPSTREAM_URL: upstream.url,
        MCP_POD_IP: podIp,
        MCP_REPLICA_PEERS: "localhost",
      });
      try {
        const health = await request(`${sidecar.proxyUrl}/health`);
        expect(health.statusCode).toBe(listed ? 200 : 503);
        expect(await health.body.json()).toMatchObject({
          status: listed ? "ok" : "degraded",
          upstream: { reachable: true },
          replica: { listedByPeers: listed },
        });
      } finally {
        await sidecar.close();
      }
    });
  }
});
