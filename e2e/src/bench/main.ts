#!/usr/bin/env node
// `npm run bench`: the sidecar's cost, measured against the same upstream in the same run.
// Direct and through-the-sidecar rounds alternate; each figure is the median of per-round values.
// A real Prometheus scrapes the sidecars every second throughout, as in production.
import { spawn } from "node:child_process";
import { readFile } from "node:fs/promises";
import { fileURLToPath } from "node:url";
import { sidecarCommandLineFlags } from "@mcpscope/sidecar";
import { freePort, startEverythingServer, stopProcess, waitForOutput } from "@mcpscope/sidecar/testing";
import autocannon from "autocannon";
import { Pool } from "undici";
import { startCollector } from "../harness/otelcol.js";
import { instantQuery, startPrometheus } from "../harness/prometheus.js";
import { startSidecarProcess } from "../harness/sidecar-process.js";
import { setupTools } from "../harness/tools.js";
import {
  echoCallBody,
  fixedRate,
  mcpHeaders,
  openSession,
  sessionTarget,
  streamEventDelays,
  type TimedTarget,
  timedCall,
  toolsListBody,
} from "./clients.js";
import { defaultSidecarRuntime } from "./default-sidecar.js";
import { sidecarImageRuntime } from "./image-runtime.js";
import {
  cpuSecondsFromProcStat,
  median,
  percentile,
  rotated,
  rssAnonMibFromProcStatus,
  rssMbFromProcStatus,
} from "./stats.js";

const args = new Set(process.argv.slice(2));
const quick = args.has("--quick");
const rounds = quick ? 2 : 5;
/** `--only=context,memory` runs just those sections (names as in main() below); the default runs all. */
const only = process.argv
  .find((arg) => arg.startsWith("--only="))
  ?.slice("--only=".length)
  .split(",");
const runs = (section: string) => only === undefined || only.includes(section);
const say = (line: string) => console.log(line);
const us = (v: number) => `${v.toFixed(0)} µs`;
const ratio = (v: number) => `${(v * 100).toFixed(1)} %`;

async function procRss(pid: number): Promise<number> {
  return rssMbFromProcStatus(await readFile(`/proc/${pid}/status`, "utf8"));
}
/** RSS (MB) and RssAnon (MiB): anonymous memory is what each pod pays alone. */
async function procMemory(pid: number): Promise<{ rss: number; anon: number }> {
  const status = await readFile(`/proc/${pid}/status`, "utf8");
  return { rss: rssMbFromProcStatus(status), anon: rssAnonMibFromProcStatus(status) };
}
const memoryText = (m: { rss: number; anon: number }) => `RSS ${m.rss.toFixed(1)} MB, anon ${m.anon.toFixed(1)} MiB`;

/**
 * The production flags: what the operator and the webhook give a sidecar container with the default
 * resources (NODE_OPTIONS: the image's semi-space cap and an old space sized to the memory limit). Both
 * the sidecar and the bare proxy run with them.
 */
const productionFlags = defaultSidecarRuntime()
  .nodeOptions.split(" ")
  .filter((flag) => flag !== "");
/**
 * What both the sidecar processes and the bare proxy run with: the production NODE_OPTIONS (which hold
 * sidecarNodeFlags) and the flags the image's ENTRYPOINT adds on the command line.
 */
const imageFlags = [...productionFlags, ...sidecarCommandLineFlags];
/** The image's malloc settings (sidecar/Dockerfile ENV), given to the sidecars and the bare proxy alike. */
const image = await sidecarImageRuntime();
const imageEnvText = Object.entries(image.env)
  .map(([name, value]) => `${name}=${value}`)
  .join(" ");
async function procCpu(pid: number): Promise<number> {
  return cpuSecondsFromProcStat(await readFile(`/proc/${pid}/stat`, "utf8"));
}

async function sequentialLatencies(target: TimedTarget, count: number): Promise<number[]> {
  const samples: number[] = [];
  for (let i = 0; i < count; i++) samples.push(await timedCall(target, i));
  return samples;
}

function saturate(url: string, headers: Record<string, string>, seconds: number): Promise<autocannon.Result> {
  return new Promise((resolve, reject) => {
    autocannon(
      { url, method: "POST", headers, body: echoCallBody(1), connections: 10, duration: seconds },
      (error, result) => (error ? reject(error) : resolve(result)),
    );
  });
}

/**
 * One request at a time, taking the arms in turn (a rotating order), so that the VM's drift (noisy
 * neighbours, frequency) weighs on every arm alike rather than on whichever ran during a bad second.
 */
async function interleavedLatencies(targets: TimedTarget[], count: number): Promise<Map<TimedTarget, number[]>> {
  const samples = new Map<TimedTarget, number[]>(targets.map((t) => [t, []]));
  for (let i = 0; i < count; i++) {
    for (const t of rotated(i, targets)) samples.get(t)?.push(await timedCall(t, i));
  }
  return samples;
}

/** What every scenario measures against: the arms, the processes and a pool factory. */
interface BenchContext {
  sseDirect: TimedTarget;
  sseVia: TimedTarget;
  jsonDirect: TimedTarget;
  jsonVia: TimedTarget;
  jsonBare: TimedTarget;
  /** The bare proxy reading each body whole before forwarding it, as the sidecar does. */
  jsonBareBuffered: TimedTarget;
  pool: (origin: string, connections?: number) => Pool;
  idle: { sidecar: { rss: number; anon: number }; bare: { rss: number; anon: number } };
  everything: { url: string };
  benchUrl: string;
  sidecarEverything: { proxyUrl: string; child: { pid?: number | undefined } };
  sidecarBench: { proxyUrl: string };
  bareEverything: { url: string; child: { pid?: number | undefined } };
}

/**
 * 1. Unloaded added latency, one request at a time. For JSON, two more arms: the bare framework as it
 * comes (request bodies streamed) and with bodies read whole first, as the sidecar reads them.
 */
async function unloadedLatency(ctx: BenchContext): Promise<void> {
  const { sseDirect, sseVia, jsonDirect, jsonVia, jsonBare, jsonBareBuffered } = ctx;
  for (const [label, direct, via, bares] of [
    ["tools/call, JSON answer (SDK server)", jsonDirect, jsonVia, [jsonBare, jsonBareBuffered]],
    ["tools/call, SSE answer (server-everything)", sseDirect, sseVia, []],
  ] as const) {
    const added50: number[] = [];
    const added99: number[] = [];
    const bare50 = bares.map(() => [] as number[]);
    const bare99 = bares.map(() => [] as number[]);
    const d50: number[] = [];
    const d99: number[] = [];
    for (let r = 0; r < rounds; r++) {
      const results = await interleavedLatencies([direct, via, ...bares], 500);
      const dl = results.get(direct) ?? [];
      const vl = results.get(via) ?? [];
      d50.push(percentile(dl, 50));
      d99.push(percentile(dl, 99));
      added50.push(percentile(vl, 50) - percentile(dl, 50));
      added99.push(percentile(vl, 99) - percentile(dl, 99));
      bares.forEach((bare, i) => {
        const bl = results.get(bare) ?? [];
        bare50[i]?.push(percentile(bl, 50) - percentile(dl, 50));
        bare99[i]?.push(percentile(bl, 99) - percentile(dl, 99));
      });
    }
    say(
      `unloaded ${label}: direct p50 ${us(median(d50))} p99 ${us(median(d99))}; added by sidecar p50 ${us(median(added50))} (target ≤ 150 µs), p99 ${us(median(added99))} (target ≤ 500 µs)`,
    );
    const [streamed50 = [], buffered50 = []] = bare50;
    const [streamed99 = [], buffered99 = []] = bare99;
    if (bares.length > 0) {
      say(
        `  same run, bare @fastify/http-proxy (no observer, no metrics; request bodies streamed, its default) adds p50 ${us(median(streamed50))}, p99 ${us(median(streamed99))}: the sidecar's own share is p50 ${us(median(added50) - median(streamed50))}; sidecar/bare added p50 ${(median(added50) / median(streamed50)).toFixed(2)}× (goal ≤ 1.15×)`,
      );
      say(
        `  same run, bare @fastify/http-proxy reading each body whole first, as the sidecar does, adds p50 ${us(median(buffered50))}, p99 ${us(median(buffered99))}: buffering costs p50 ${us(median(buffered50) - median(streamed50))}, observing ${us(median(added50) - median(buffered50))}; sidecar/buffered bare added p50 ${(median(added50) / median(buffered50)).toFixed(2)}×`,
      );
    }
  }
}

/** 2. Fixed 1,000 req/s on server-everything (the faster upstream here); CPU per 1,000 req/s of the */
async function fixedRate1000(ctx: BenchContext): Promise<void> {
  const { sseDirect, sseVia, pool, idle, everything, sidecarEverything, bareEverything } = ctx;
  // sidecar and, same rounds, of the bare @fastify/http-proxy (the framework's share).
  {
    const seconds = quick ? 2 : 4;
    const fixedDirect = { ...sseDirect, pool: pool(everything.url, 64) };
    const fixedVia = { ...sseVia, pool: pool(sidecarEverything.proxyUrl, 64) };
    const fixedBare = await sessionTarget("sse via bare proxy", pool(bareEverything.url, 64));
    const p99 = { direct: [] as number[], via: [] as number[], bare: [] as number[] };
    const cores = { via: [] as number[], bare: [] as number[] };
    const pids = new Map([
      [fixedVia, sidecarEverything.child.pid ?? 0],
      [fixedBare, bareEverything.child.pid ?? 0],
    ]);
    for (let r = 0; r < rounds; r++) {
      for (const t of rotated(r, [fixedDirect, fixedVia, fixedBare])) {
        const pid = pids.get(t);
        const cpuBefore = pid ? await procCpu(pid) : 0;
        const started = performance.now();
        const samples = await fixedRate(t, 1000, seconds);
        const elapsedS = (performance.now() - started) / 1000;
        const used = pid ? ((await procCpu(pid)) - cpuBefore) / elapsedS : 0;
        if (t === fixedVia) {
          p99.via.push(percentile(samples, 99));
          cores.via.push(used);
        } else if (t === fixedBare) {
          p99.bare.push(percentile(samples, 99));
          cores.bare.push(used);
        } else p99.direct.push(percentile(samples, 99));
      }
    }
    const added = p99.via.map((v, i) => v - (p99.direct[i] ?? 0));
    const bareAdded = p99.bare.map((v, i) => v - (p99.direct[i] ?? 0));
    say(
      `fixed 1,000 req/s tools/call (server-everything): direct p99 ${us(median(p99.direct))}, via p99 ${us(median(p99.via))}, added p99 ${us(median(added))} (target ≤ 1,000 µs); sidecar CPU ${median(cores.via).toFixed(3)} core per 1,000 req/s (target ≤ 0.15)`,
    );
    say(
      `  same rounds, bare @fastify/http-proxy: added p99 ${us(median(bareAdded))}, CPU ${median(cores.bare).toFixed(3)} core per 1,000 req/s; sidecar/bare CPU ${(median(cores.via) / median(cores.bare)).toFixed(2)}× (goal ≤ 1.2×)`,
    );
    const loaded = {
      sidecar: await procMemory(sidecarEverything.child.pid ?? 0),
      bare: await procMemory(bareEverything.child.pid ?? 0),
    };
    say(
      `memory (node ${imageFlags.join(" ")}), idle → after ${rounds}×${seconds} s at 1,000 req/s: sidecar ${memoryText(idle.sidecar)} → ${memoryText(loaded.sidecar)} (goals RSS ≤ 70 / 90 MB, anon ≤ 30 / 45 MiB); bare @fastify/http-proxy ${memoryText(idle.bare)} → ${memoryText(loaded.bare)}; sidecar/bare anon idle ${(idle.sidecar.anon / idle.bare.anon).toFixed(2)}×, loaded ${(loaded.sidecar.anon / loaded.bare.anon).toFixed(2)}×`,
    );
  }
}

/** 3. SSE per-event delivery delay (stream tool: 300 events, 3 ms apart). */
async function sseDelivery(ctx: BenchContext): Promise<void> {
  const { pool, benchUrl, sidecarBench } = ctx;
  {
    const added99: number[] = [];
    const d99: number[] = [];
    const direct = { pool: pool(benchUrl), name: "direct" };
    const via = { pool: pool(sidecarBench.proxyUrl), name: "via" };
    for (let r = 0; r < rounds; r++) {
      const results = new Map<typeof direct, number[]>();
      for (const t of rotated(r, [direct, via])) results.set(t, await streamEventDelays(t.pool, "/sse", 300, 3));
      d99.push(percentile(results.get(direct) ?? [], 99));
      added99.push(percentile(results.get(via) ?? [], 99) - percentile(results.get(direct) ?? [], 99));
    }
    say(
      `SSE per-event delivery: direct p99 ${us(median(d99))}, added by sidecar p99 ${us(median(added99))} (target ≤ 2,000 µs)`,
    );
  }
}

/** 4. Saturation throughput with autocannon (10 connections). */
async function saturation(ctx: BenchContext): Promise<void> {
  const { sseDirect, sseVia, everything, benchUrl, sidecarEverything, sidecarBench } = ctx;
  for (const [label, directUrl, viaUrl, directHeaders, viaHeaders] of [
    [
      "SSE tools/call on server-everything",
      `${everything.url}/mcp`,
      `${sidecarEverything.proxyUrl}/mcp`,
      sseDirect.headers,
      sseVia.headers,
    ],
    ["JSON tools/call on the SDK server", `${benchUrl}/json`, `${sidecarBench.proxyUrl}/json`, mcpHeaders, mcpHeaders],
  ] as const) {
    const ratios: number[] = [];
    const rows = { direct: [] as autocannon.Result[], via: [] as autocannon.Result[] };
    for (let r = 0; r < (quick ? 1 : 3); r++) {
      let d: autocannon.Result | undefined;
      let v: autocannon.Result | undefined;
      for (const which of rotated<"direct" | "via">(r, ["direct", "via"])) {
        const result = await saturate(
          which === "direct" ? directUrl : viaUrl,
          which === "direct" ? directHeaders : viaHeaders,
          quick ? 3 : 5,
        );
        if (result.non2xx > 0 || result.errors > 0)
          throw new Error(`${label} ${which}: ${result.non2xx} non-2xx, ${result.errors} errors`);
        if (which === "direct") d = result;
        else v = result;
        rows[which].push(result);
      }
      ratios.push((v?.requests.average ?? 0) / (d?.requests.average ?? 1));
    }
    const m = (rs: autocannon.Result[], f: (r: autocannon.Result) => number) => median(rs.map(f));
    say(
      `saturation ${label}: direct ${m(rows.direct, (r) => r.requests.average).toFixed(0)} req/s (p50 ${m(rows.direct, (r) => r.latency.p50)} ms, p99 ${m(rows.direct, (r) => r.latency.p99)} ms), via ${m(rows.via, (r) => r.requests.average).toFixed(0)} req/s (p50 ${m(rows.via, (r) => r.latency.p50)} ms, p99 ${m(rows.via, (r) => r.latency.p99)} ms); throughput ratio ${ratio(median(ratios))} (aim ≥ 85 %)`,
    );
  }
}

/** 5. Memory: steady RSS, then 500 open GET SSE streams held for a while. */
async function memory(ctx: BenchContext): Promise<void> {
  const { pool, sidecarEverything, bareEverything } = ctx;
  {
    const pid = sidecarEverything.child.pid ?? 0;
    const steady = await procRss(pid);
    const streamPool = pool(sidecarEverything.proxyUrl, 600);
    const controllers: AbortController[] = [];
    for (let i = 0; i < 500; i++) {
      const session = await openSession(streamPool, "/mcp");
      const controller = new AbortController();
      const response = await streamPool.request({
        method: "GET",
        path: "/mcp",
        headers: { accept: "text/event-stream", "mcp-session-id": session },
        signal: controller.signal,
      });
      if (response.statusCode !== 200) throw new Error(`GET stream answered ${response.statusCode}`);
      response.body.on("error", () => {});
      response.body.resume();
      controllers.push(controller);
    }
    const opened = await procRss(pid);
    await new Promise((resolve) => setTimeout(resolve, quick ? 3_000 : 20_000));
    const held = await procRss(pid);
    for (const c of controllers) c.abort();
    await new Promise((resolve) => setTimeout(resolve, 2_000));
    const after = await procRss(pid);
    say(
      `sidecar RSS: steady ${steady.toFixed(1)} MB (target ≤ 120 MB; bare @fastify/http-proxy after the same load ${(await procRss(bareEverything.child.pid ?? 0)).toFixed(1)} MB); with 500 open SSE streams ${opened.toFixed(1)} MB, after holding them ${quick ? 3 : 20} s ${held.toFixed(1)} MB, after closing ${after.toFixed(1)} MB`,
    );
  }
}

/**
 * 6. Tracing on vs off (the OpenTelemetry SDK loaded and exporting to the real collector, or not at
 * all): idle RSS, RSS after the same load, and unloaded p50, in alternating rounds on one upstream.
 */
async function tracingCost(benchUrl: string): Promise<void> {
  const collector = await startCollector(process.env.MCPSCOPE_OTELCOL ?? setupTools().OTELCOL);
  const quiet = {
    LOG_LEVEL: "warn",
    NODE_OPTIONS: productionFlags.join(" "),
    MCP_UPSTREAM_URL: benchUrl,
    OTEL_BSP_SCHEDULE_DELAY: "1000",
  };
  const off = await startSidecarProcess({ ...quiet, MCP_UPSTREAM_NAME: "tracing-off" });
  const on = await startSidecarProcess({
    ...quiet,
    MCP_UPSTREAM_NAME: "tracing-on",
    OTEL_EXPORTER_OTLP_ENDPOINT: collector.otlpHttpUrl,
  });
  const pools = [new Pool(off.proxyUrl, { connections: 1 }), new Pool(on.proxyUrl, { connections: 1 })];
  try {
    await new Promise((resolve) => setTimeout(resolve, 3_000));
    const idle = [await procRss(off.child.pid ?? 0), await procRss(on.child.pid ?? 0)];
    const targets = pools.map(
      (p, i): TimedTarget => ({ name: i ? "on" : "off", pool: p, path: "/json", headers: mcpHeaders }),
    );
    for (const t of targets) await sequentialLatencies(t, 300);
    const p50 = { off: [] as number[], on: [] as number[] };
    for (let r = 0; r < rounds; r++) {
      for (const t of rotated(r, targets))
        p50[t.name as "on" | "off"].push(percentile(await sequentialLatencies(t, 1_000), 50));
    }
    const after = [await procRss(off.child.pid ?? 0), await procRss(on.child.pid ?? 0)];
    say(
      `tracing (sdk-node, OTLP to the real collector): RSS idle off ${idle[0]?.toFixed(1)} MB / on ${idle[1]?.toFixed(1)} MB, after ${rounds}×1,000 requests off ${after[0]?.toFixed(1)} MB / on ${after[1]?.toFixed(1)} MB; p50 through the sidecar off ${us(median(p50.off))} / on ${us(median(p50.on))}`,
    );
  } finally {
    await Promise.allSettled(pools.map((p) => p.destroy()));
    await Promise.allSettled([off.stop(), on.stop()]);
    await collector.stop();
  }
}

/**
 * 7. Context cost on vs off (MCP_CONTEXT_COST): the same traffic through two sidecars in alternating
 * rounds, unloaded p50/p99 and RSS, for two workloads: the short echo every other section sends, and
 * tools/call answered with a 4 KB text (its tokens estimated on every call) with, one call in ten,
 * tools/list (a catalogue assembled and priced).
 */
async function contextCostCost(benchUrl: string): Promise<void> {
  const quiet = { LOG_LEVEL: "warn", MCP_UPSTREAM_URL: benchUrl };
  const off = await startSidecarProcess({ ...quiet, MCP_UPSTREAM_NAME: "context-off", MCP_CONTEXT_COST: "off" });
  const on = await startSidecarProcess({ ...quiet, MCP_UPSTREAM_NAME: "context-on" });
  const message = "Cloudy in the morning, 14 °C at noon, showers after 16:00, wind from the west. ".repeat(50);
  const workloads = [
    ["short echo", (id: number) => echoCallBody(id)],
    ["4 KB results and tools/list", (id: number) => (id % 10 === 0 ? toolsListBody(id) : echoCallBody(id, message))],
  ] as const;
  const pools = [new Pool(off.proxyUrl, { connections: 1 }), new Pool(on.proxyUrl, { connections: 1 })];
  try {
    await new Promise((resolve) => setTimeout(resolve, 3_000));
    const idle = [await procRss(off.child.pid ?? 0), await procRss(on.child.pid ?? 0)];
    for (const [label, body] of workloads) {
      const targets = pools.map(
        (p, i): TimedTarget => ({ name: i ? "on" : "off", pool: p, path: "/json", headers: mcpHeaders, body }),
      );
      for (const t of targets) await sequentialLatencies(t, 300);
      const p50 = { off: [] as number[], on: [] as number[] };
      const p99 = { off: [] as number[], on: [] as number[] };
      for (let r = 0; r < rounds; r++) {
        for (const t of rotated(r, targets)) {
          const samples = await sequentialLatencies(t, 1_000);
          p50[t.name as "on" | "off"].push(percentile(samples, 50));
          p99[t.name as "on" | "off"].push(percentile(samples, 99));
        }
      }
      say(
        `context cost (MCP_CONTEXT_COST on vs off), ${label}: p50 through the sidecar off ${us(median(p50.off))} / on ${us(median(p50.on))} (on/off ${(median(p50.on) / median(p50.off)).toFixed(3)}), p99 off ${us(median(p99.off))} / on ${us(median(p99.on))}`,
      );
    }
    const after = [await procRss(off.child.pid ?? 0), await procRss(on.child.pid ?? 0)];
    say(
      `  RSS idle off ${idle[0]?.toFixed(1)} MB / on ${idle[1]?.toFixed(1)} MB, after both workloads off ${after[0]?.toFixed(1)} MB / on ${after[1]?.toFixed(1)} MB`,
    );
  } finally {
    await Promise.allSettled(pools.map((p) => p.destroy()));
    await Promise.allSettled([off.stop(), on.stop()]);
  }
}

async function main(): Promise<void> {
  const prometheusBinary = process.env.MCPSCOPE_PROMETHEUS ?? "/usr/bin/prometheus";
  // Upstreams: server-everything (sessions, SSE answers) and an SDK server answering JSON.
  const everything = await startEverythingServer("streamableHttp");
  const benchPort = await freePort();
  const benchUpstream = spawn(
    process.execPath,
    [fileURLToPath(new URL("./bench-upstream.js", import.meta.url)), String(benchPort)],
    {
      stdio: ["ignore", "pipe", "pipe"],
    },
  );
  await waitForOutput(benchUpstream, /listening/, 15_000, "bench upstream");
  const benchUrl = `http://127.0.0.1:${benchPort}`;
  const quiet = { LOG_LEVEL: "warn", NODE_OPTIONS: productionFlags.join(" ") };
  // The sidecar as the image runs it: the bundle, the ENTRYPOINT's flags, the image's malloc settings.
  const asImage = { ...quiet, ...image.env };
  const sidecarEverything = await startSidecarProcess(
    { ...asImage, MCP_UPSTREAM_URL: everything.url, MCP_UPSTREAM_NAME: "everything" },
    {},
    { bundle: true },
  );
  const sidecarBench = await startSidecarProcess(
    { ...asImage, MCP_UPSTREAM_URL: benchUrl, MCP_UPSTREAM_NAME: "bench" },
    {},
    { bundle: true },
  );
  // Baseline for the framework's own cost: @fastify/http-proxy alone, same upstream, and the same Node
  // flags as the sidecar processes get (NODE_OPTIONS, then the image's command-line flags).
  const startBareProxy = async (upstream: string, mode?: "buffered") => {
    const port = await freePort();
    const child = spawn(
      process.execPath,
      [
        ...imageFlags,
        fileURLToPath(new URL("./bare-proxy.js", import.meta.url)),
        upstream,
        String(port),
        ...(mode ? [mode] : []),
      ],
      { stdio: ["ignore", "pipe", "pipe"], env: { ...process.env, ...image.env } },
    );
    await waitForOutput(child, /listening/, 15_000, "bare proxy");
    return { child, url: `http://127.0.0.1:${port}` };
  };
  const bareBench = await startBareProxy(benchUrl);
  const bareBenchBuffered = await startBareProxy(benchUrl, "buffered");
  const bareEverything = await startBareProxy(everything.url);
  const targetsOf = (m: string) => new URL(m).host;
  const prometheus = await startPrometheus(
    prometheusBinary,
    [
      "global: { scrape_interval: 1s }",
      "scrape_configs:",
      "  - job_name: sidecars",
      `    static_configs: [{ targets: ["${targetsOf(sidecarEverything.metricsUrl)}", "${targetsOf(sidecarBench.metricsUrl)}"] }]`,
    ].join("\n"),
  );
  const pools: Pool[] = [];
  const pool = (origin: string, connections = 1) => {
    const p = new Pool(origin, { connections, pipelining: 1 });
    pools.push(p);
    return p;
  };

  try {
    // RSS idle: started, health probes running, no client traffic yet.
    await new Promise((resolve) => setTimeout(resolve, 3_000));
    const idle = {
      sidecar: await procMemory(sidecarEverything.child.pid ?? 0),
      bare: await procMemory(bareEverything.child.pid ?? 0),
    };
    say(
      `mcpscope sidecar benchmark — node ${process.version} ${imageFlags.join(" ")} and ${imageEnvText}, the sidecar's bundle (the sidecar and the bare proxy alike), ${rounds} alternating rounds, Prometheus scraping every 1 s`,
    );
    const sseDirect = await sessionTarget("sse direct", pool(everything.url));
    const sseVia = await sessionTarget("sse via", pool(sidecarEverything.proxyUrl));
    const jsonDirect: TimedTarget = { name: "json direct", pool: pool(benchUrl), path: "/json", headers: mcpHeaders };
    const jsonVia: TimedTarget = {
      name: "json via",
      pool: pool(sidecarBench.proxyUrl),
      path: "/json",
      headers: mcpHeaders,
    };
    const jsonBare: TimedTarget = {
      name: "json via bare @fastify/http-proxy",
      pool: pool(bareBench.url),
      path: "/json",
      headers: mcpHeaders,
    };
    const jsonBareBuffered: TimedTarget = {
      name: "json via bare @fastify/http-proxy, bodies buffered",
      pool: pool(bareBenchBuffered.url),
      path: "/json",
      headers: mcpHeaders,
    };

    // Warm-up: JIT, connection pools, tool-name learning.
    for (const t of [sseDirect, sseVia, jsonDirect, jsonVia, jsonBare, jsonBareBuffered])
      await sequentialLatencies(t, 200);

    const ctx: BenchContext = {
      sseDirect,
      sseVia,
      jsonDirect,
      jsonVia,
      jsonBare,
      jsonBareBuffered,
      pool,
      idle,
      everything,
      benchUrl,
      sidecarEverything,
      sidecarBench,
      bareEverything,
    };
    if (runs("latency")) await unloadedLatency(ctx);
    if (runs("rate")) await fixedRate1000(ctx);
    if (runs("sse")) await sseDelivery(ctx);
    if (runs("saturation")) await saturation(ctx);
    if (runs("memory")) await memory(ctx);
    if (runs("tracing")) await tracingCost(benchUrl);
    if (runs("context")) await contextCostCost(benchUrl);

    const up = await instantQuery(prometheus.apiUrl, "sum(up)");
    say(`Prometheus scraped both sidecars throughout: sum(up) = ${up.series[0]?.value ?? "?"}`);
  } finally {
    await Promise.allSettled(pools.map((p) => p.destroy()));
    await Promise.allSettled([sidecarEverything.stop(), sidecarBench.stop(), prometheus.stop()]);
    await stopProcess(benchUpstream);
    await stopProcess(bareBench.child);
    await stopProcess(bareBenchBuffered.child);
    await stopProcess(bareEverything.child);
    await everything.stop();
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
