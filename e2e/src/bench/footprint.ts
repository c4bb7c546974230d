#!/usr/bin/env node
// `npm run bench:footprint`: the sidecar's memory and CPU by build (tsc's dist/ against the image's
// bundle) and by Node flags, beside bare @fastify/http-proxy, all in one run on one upstream. Each
// variant runs alone (two shared cores): idle for a few seconds, then an hour's worth of health probes,
// then a fixed 1,000 req/s of tools/call while /metrics is scraped every second as Prometheus would,
// then quiet for a while (what a pod keeps after a burst); rounds rotate the order.
// Usage: footprint.js [--quick] [--rounds=N] [--load=SECONDS] [--settle=SECONDS]; MCPSCOPE_FOOTPRINT_FLAGS="A;B" adds bundle
// variants, each a list of Node flags and NAME=VALUE environment settings (e.g. MALLOC_ARENA_MAX=2).
import { spawn } from "node:child_process";
import { readFile } from "node:fs/promises";
import { fileURLToPath } from "node:url";
import { freePort, startEverythingServer, stopProcess } from "@mcpscope/sidecar/testing";
import { Pool } from "undici";
import { fixedRate, sessionTarget } from "./clients.js";
import { defaultSidecarRuntime } from "./default-sidecar.js";
import { sidecarImageRuntime } from "./image-runtime.js";
import { cpuSecondsFromProcStat, median, rotated, rssAnonMibFromProcStatus, rssMbFromProcStatus } from "./stats.js";

const quick = process.argv.includes("--quick");
const option = (name: string) => process.argv.find((a) => a.startsWith(`--${name}=`))?.split("=")[1];
const rounds = Number(option("rounds") ?? (quick ? 1 : 3));
const idleSeconds = quick ? 3 : 5;
const loadSeconds = Number(option("load") ?? (quick ? 5 : 20));
/**
 * Quiet time after the load before the last reading: what a pod keeps once a burst is over. V8's memory
 * reducer, where it runs, collects within about 10 s of the traffic's end (8 s timer, then its marking).
 */
const settleSeconds = Number(option("settle") ?? (quick ? 12 : 15));
/**
 * What an hour without traffic brings: the sidecar probes its upstream every 15 s by default (each probe
 * here is a GET /health with the result cache off, so one upstream exchange, as the background probe
 * makes); the bare proxy forwards the same GETs upstream. A few seconds after the start is not what an
 * idle pod pays for long: the probes' code is compiled and optimized within the hour.
 */
const probesPerHour = 240;
const say = (line: string) => console.log(line);

/** The flags a default sidecar container gets (operator, webhook): every variant starts from them. */
const productionFlags = defaultSidecarRuntime()
  .nodeOptions.split(" ")
  .filter((flag) => flag !== "");
const repo = (path: string) => fileURLToPath(new URL(`../../../${path}`, import.meta.url));
const entry = {
  dist: repo("sidecar/dist/main.js"),
  bundle: repo("sidecar/bundle/main.js"),
  bare: fileURLToPath(new URL("./bare-proxy.js", import.meta.url)),
};

/** What sidecar/Dockerfile's last stage runs: its ENTRYPOINT's Node flags and its ENV settings. */
const image = await sidecarImageRuntime();

interface Variant {
  name: string;
  script: string;
  flags: string[];
  env?: Record<string, string>;
  bare?: boolean;
  /** The bare proxy run with the same flags and environment: what the ratios compare against. */
  baseline?: Variant;
}

const extraFlags = (process.env.MCPSCOPE_FOOTPRINT_FLAGS ?? "")
  .split(";")
  .map((flags) => flags.trim())
  .filter((flags) => flags !== "");
const imageSettings = [
  ...image.flags.filter((flag) => !productionFlags.includes(flag)),
  ...Object.entries(image.env).map(([name, value]) => `${name}=${value}`),
].join(" ");
const bare: Variant = { name: "bare @fastify/http-proxy", script: entry.bare, flags: productionFlags, bare: true };
// The bare proxy packaged as the sidecar image is: the same ENTRYPOINT flags and malloc settings.
const bareAsImage: Variant = {
  name: `bare @fastify/http-proxy ${imageSettings}`,
  script: entry.bare,
  flags: [...productionFlags, ...image.flags],
  env: image.env,
  bare: true,
};
const variants: Variant[] = [
  bare,
  bareAsImage,
  { name: "sidecar dist/ (tsc)", script: entry.dist, flags: productionFlags, baseline: bare },
  { name: "sidecar bundle/", script: entry.bundle, flags: productionFlags, baseline: bare },
  // What sidecar/Dockerfile runs: the bundle with its ENTRYPOINT's flags and its environment (malloc's tuning).
  {
    name: `sidecar bundle/ ${imageSettings} (the image)`,
    script: entry.bundle,
    flags: [...productionFlags, ...image.flags],
    env: image.env,
    baseline: bareAsImage,
  },
  ...extraFlags.map((flags) => {
    const words = flags.split(" ");
    const isEnv = (word: string) => /^[A-Z_]+=/.test(word);
    return {
      name: `sidecar bundle/ ${flags}`,
      script: entry.bundle,
      flags: [...productionFlags, ...words.filter((w) => !isEnv(w))],
      env: Object.fromEntries(
        words.filter(isEnv).map((w) => [w.slice(0, w.indexOf("=")), w.slice(w.indexOf("=") + 1)]),
      ),
      baseline: bare,
    };
  }),
];

interface Sample {
  idleRss: number;
  idleAnon: number;
  probedRss: number;
  probedAnon: number;
  loadedRss: number;
  loadedAnon: number;
  settledRss: number;
  settledAnon: number;
  coresPer1000: number;
}

async function memory(pid: number): Promise<{ rss: number; anon: number }> {
  const status = await readFile(`/proc/${pid}/status`, "utf8");
  return { rss: rssMbFromProcStatus(status), anon: rssAnonMibFromProcStatus(status) };
}
const cpu = async (pid: number) => cpuSecondsFromProcStat(await readFile(`/proc/${pid}/stat`, "utf8"));
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function measure(variant: Variant, upstream: string): Promise<Sample> {
  const [port, metricsPort] = [await freePort(), await freePort()];
  const args = variant.bare
    ? [...variant.flags, variant.script, upstream, String(port)]
    : [...variant.flags, variant.script];
  const child = spawn(process.execPath, args, {
    env: {
      PATH: process.env.PATH ?? "",
      HOST: "127.0.0.1",
      METRICS_HOST: "127.0.0.1",
      PORT: String(port),
      METRICS_PORT: String(metricsPort),
      MCP_UPSTREAM_URL: upstream,
      MCP_UPSTREAM_NAME: "footprint",
      MCP_HEALTH_CACHE_MS: "0",
      LOG_LEVEL: "warn",
      OTEL_TRACES_EXPORTER: "none",
      NODE_ENV: "production",
      ...variant.env,
    },
    stdio: ["ignore", "pipe", "pipe"],
  });
  const pid = child.pid ?? 0;
  try {
    const pool = new Pool(`http://127.0.0.1:${port}`, { connections: 64, pipelining: 1 });
    // Listening: a sidecar answers /livez itself, the bare proxy forwards it (any answer will do).
    for (let tries = 0; tries < 200; tries++) {
      const ok = await pool
        .request({ method: "GET", path: "/livez" })
        .then(async (r) => {
          await r.body.text();
          return true;
        })
        .catch(() => false);
      if (ok) break;
      await sleep(100);
    }
    await sleep(idleSeconds * 1000);
    const idle = await memory(pid);
    for (let probe = 0; probe < probesPerHour; probe++) {
      const response = await pool.request({ method: "GET", path: "/health" });
      await response.body.text();
    }
    await sleep(2_000); // the compilations the probes started finish on V8's threads
    const probed = await memory(pid);
    const target = await sessionTarget(variant.name, pool);
    let scraping = !variant.bare;
    const scrapes = (async () => {
      while (scraping) {
        await fetch(`http://127.0.0.1:${metricsPort}/metrics`).then(
          (r) => r.text(),
          () => "",
        );
        await sleep(1000);
      }
    })();
    const cpuBefore = await cpu(pid);
    await fixedRate(target, 1000, loadSeconds);
    // CPU seconds per 1,000 requests sent (= cores at 1,000 req/s): a load generator held back by other
    // work on the machine stretches the wall time, not the work, so dividing by wall time would flatter.
    const cores = ((await cpu(pid)) - cpuBefore) / loadSeconds;
    scraping = false;
    await scrapes;
    const loaded = await memory(pid);
    await sleep(settleSeconds * 1000);
    const settled = await memory(pid);
    await pool.close();
    return {
      idleRss: idle.rss,
      idleAnon: idle.anon,
      probedRss: probed.rss,
      probedAnon: probed.anon,
      loadedRss: loaded.rss,
      loadedAnon: loaded.anon,
      settledRss: settled.rss,
      settledAnon: settled.anon,
      coresPer1000: cores,
    };
  } finally {
    await stopProcess(child);
  }
}

async function main(): Promise<void> {
  const everything = await startEverythingServer("streamableHttp");
  const samples = new Map<Variant, Sample[]>(variants.map((v) => [v, []]));
  try {
    for (let round = 0; round < rounds; round++) {
      for (const variant of rotated(round, variants)) {
        const sample = await measure(variant, everything.url);
        samples.get(variant)?.push(sample);
        console.error(`  round ${round + 1} ${variant.name}: ${JSON.stringify(sample)}`);
      }
    }
  } finally {
    await stopProcess(everything.child);
  }
  const med = (variant: Variant, key: keyof Sample) => median((samples.get(variant) ?? []).map((s) => s[key]));
  say(
    `── footprint (node ${productionFlags.join(" ")} + variant flags; ${rounds} round(s), idle ${idleSeconds} s, then ${probesPerHour} health probes (an hour at the default interval), then ${loadSeconds} s at 1,000 req/s, then ${settleSeconds} s quiet; medians) ──`,
  );
  say(
    "variant | RSS idle / after an hour's probes / loaded / settled MB | anon idle / probed / loaded / settled MiB | anon vs bare idle / loaded | CPU core per 1,000 req/s (vs bare) — each sidecar row against the bare proxy with the same flags and environment",
  );
  for (const v of variants) {
    const base = v.baseline ?? v;
    say(
      [
        v.name,
        `${med(v, "idleRss").toFixed(1)} / ${med(v, "probedRss").toFixed(1)} / ${med(v, "loadedRss").toFixed(1)} / ${med(v, "settledRss").toFixed(1)}`,
        `${med(v, "idleAnon").toFixed(1)} / ${med(v, "probedAnon").toFixed(1)} / ${med(v, "loadedAnon").toFixed(1)} / ${med(v, "settledAnon").toFixed(1)}`,
        `${(med(v, "idleAnon") / med(base, "idleAnon")).toFixed(2)}× / ${(med(v, "loadedAnon") / med(base, "loadedAnon")).toFixed(2)}×`,
        `${med(v, "coresPer1000").toFixed(3)} (${(med(v, "coresPer1000") / med(base, "coresPer1000")).toFixed(2)}×)`,
      ].join(" | "),
    );
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
