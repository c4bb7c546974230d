#!/usr/bin/env node
// `npm run bench:replicas`: what a request for another replica's session pays for being forwarded.
// Two replicas on loopback addresses of their own (127.0.0.2, 127.0.0.3: the pod IPs, one sidecar
// port), each a built sidecar in front of its own server-everything; a session opened on replica A.
// Arms, same session, same run, rotated each round: the server directly (the baseline), through A
// (local: the session's own replica) and through B (forwarded: B hands it to A's sidecar).
import { freePort, readMetrics, sampleValue, startEverythingServer } from "@mcpscope/sidecar/testing";
import { Pool } from "undici";
import { startSidecarProcess } from "../harness/sidecar-process.js";
import { mcpHeaders, openSession, type TimedTarget, timedCall } from "./clients.js";
import { median, percentile, rotated } from "./stats.js";

const quick = process.argv.includes("--quick");
const rounds = quick ? 2 : 5;
const callsPerRound = quick ? 200 : 500;
const us = (v: number) => `${v.toFixed(0)} µs`;
const ips = ["127.0.0.2", "127.0.0.3"] as const;

const servers = [await startEverythingServer("streamableHttp"), await startEverythingServer("streamableHttp")];
const port = await freePort();
const metricsPort = await freePort();
const sidecars = [];
for (const [index, ip] of ips.entries()) {
  sidecars.push(
    await startSidecarProcess(
      {
        MCP_UPSTREAM_NAME: "everything",
        MCP_UPSTREAM_URL: servers[index]?.url as string,
        MCP_POD_IP: ip,
        MCP_REPLICA_PEERS: ips.join(","),
        LOG_LEVEL: "warn",
      },
      { port, metricsPort, host: ip },
    ),
  );
}
const [a, b] = sidecars as [(typeof sidecars)[number], (typeof sidecars)[number]];
const [serverA] = servers as [(typeof servers)[number]];
const pools: Pool[] = [];
const pool = (origin: string) => {
  const p = new Pool(origin, { connections: 1, pipelining: 1 });
  pools.push(p);
  return p;
};

try {
  const clientSession = await openSession(pool(a.proxyUrl), "/mcp");
  const upstreamSession = clientSession.slice(clientSession.indexOf(".", "mcps.".length) + 1);
  if (!clientSession.startsWith("mcps.7f000002.")) throw new Error(`replica A minted ${clientSession}`);
  const target = (name: string, origin: string, session: string): TimedTarget => ({
    name,
    pool: pool(origin),
    path: "/mcp",
    headers: { ...mcpHeaders, "mcp-session-id": session, "mcp-protocol-version": "2025-06-18" },
  });
  const direct = target("direct", serverA.url, upstreamSession);
  const local = target("local", a.proxyUrl, clientSession);
  const forwarded = target("forwarded", b.proxyUrl, clientSession);
  const forwardsBefore = sampleValue(await readMetrics(b.metricsUrl), "mcp_replica_forwards_total");

  // Warm-up: connections, JIT, the peer set.
  for (const t of [direct, local, forwarded]) for (let i = 0; i < 50; i++) await timedCall(t, i);
  const p50 = new Map<TimedTarget, number[]>([
    [direct, []],
    [local, []],
    [forwarded, []],
  ]);
  const p99 = new Map<TimedTarget, number[]>([
    [direct, []],
    [local, []],
    [forwarded, []],
  ]);
  for (let r = 0; r < rounds; r++) {
    for (const t of rotated(r, [direct, local, forwarded])) {
      const samples: number[] = [];
      for (let i = 0; i < callsPerRound; i++) samples.push(await timedCall(t, i));
      p50.get(t)?.push(percentile(samples, 50));
      p99.get(t)?.push(percentile(samples, 99));
    }
  }
  const m = (map: Map<TimedTarget, number[]>, t: TimedTarget) => median(map.get(t) ?? []);
  const addedLocal = m(p50, local) - m(p50, direct);
  const addedForwarded = m(p50, forwarded) - m(p50, direct);
  console.log(
    `tools/call (server-everything, SSE answer), ${rounds} rounds × ${callsPerRound} sequential calls, medians of per-round percentiles:`,
  );
  for (const t of [direct, local, forwarded])
    console.log(`  ${t.name.padEnd(9)} p50 ${us(m(p50, t))}, p99 ${us(m(p99, t))}`);
  console.log(
    `  forwarding adds p50 ${us(m(p50, forwarded) - m(p50, local))}, p99 ${us(m(p99, forwarded) - m(p99, local))} over a local request; forwarded/local p50 ${(m(p50, forwarded) / m(p50, local)).toFixed(2)}×, p99 ${(m(p99, forwarded) / m(p99, local)).toFixed(2)}×`,
  );
  console.log(
    `  added over the server alone: local p50 ${us(addedLocal)}, forwarded p50 ${us(addedForwarded)} (${(addedForwarded / addedLocal).toFixed(2)}× the one-sidecar cost; two sidecars would be 2×)`,
  );

  // The requests B forwarded are counted by B as forwards only, by A as requests: check the counters agree.
  const sent = 50 + rounds * callsPerRound;
  const forwards = sampleValue(await readMetrics(b.metricsUrl), "mcp_replica_forwards_total") - forwardsBefore;
  const bCalls = sampleValue(await readMetrics(b.metricsUrl), "mcp_requests_total", { method: "tools/call" });
  if (forwards !== sent || bCalls !== 0)
    throw new Error(`replica B forwarded ${forwards} of ${sent} calls and counted ${bCalls} itself`);
  console.log(`  counters: B forwarded ${forwards} of ${sent} calls and counted none as its own requests`);
} finally {
  await Promise.all(pools.map((p) => p.close()));
  await Promise.all(sidecars.map((s) => s.stop()));
  await Promise.all(servers.map((s) => s.stop()));
}
