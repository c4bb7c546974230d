#!/usr/bin/env node
// `npm run bench` (third part, under the Docker lock): the sidecar image as built by sidecar/Dockerfile,
// run by the Docker engine with the memory limit and NODE_OPTIONS the operator gives a pod by default.
// Reports the container's working set (cgroup usage − inactive file, what the kubelet counts against the
// limit) idle and after 20 s at 1,000 req/s, its CPU per 1,000 req/s, the image's size over
// node:24-slim, and whether the kernel OOM-killed it. The load is tools/call on server-everything, the
// lighter upstream here (the SDK's stateless example builds a server per request: ≈ 0.7 core at 1,000
// req/s, which with the sidecar and the client saturates two cores), and the same load sent to it
// directly in the same run is the latency baseline.
import { freePort, startEverythingServer } from "@mcpscope/sidecar/testing";
import { Pool } from "undici";
import { containerCpuSeconds, containerMemory, describeWorkingSet } from "../harness/container-memory.js";
import { docker, dockerBuild, dockerOut, dockerWithBaseImages, imageSize, inspect } from "../harness/docker.js";
import { setupTools } from "../harness/tools.js";
import { fixedRate, sessionTarget } from "./clients.js";
import { defaultSidecarDockerRun, defaultSidecarRuntime } from "./default-sidecar.js";
import { percentile } from "./stats.js";

const image = "mcpscope/sidecar:bench";
const container = `mcpscope-bench-sidecar-${process.pid}`;
const say = (line: string) => console.log(line);
const idleCpuSeconds = 30;
const mib = (v: number) => `${v.toFixed(1)} MiB`;

async function main(): Promise<void> {
  // The pod spec's own values: memory limit and NODE_OPTIONS of a sidecar with default resources.
  const { memoryLimit, nodeOptions } = defaultSidecarRuntime();
  const limit = memoryLimit.replace(/Mi$/, "m");

  await dockerBuild("sidecar/Dockerfile", image);
  const added = (await imageSize(image)) - (await imageSize("node:24-slim"));

  const upstream = await startEverythingServer("streamableHttp");
  const [port, metricsPort] = [await freePort(), await freePort()];
  const env = {
    HOST: "127.0.0.1",
    METRICS_HOST: "127.0.0.1",
    PORT: String(port),
    METRICS_PORT: String(metricsPort),
    MCP_UPSTREAM_URL: upstream.url,
    MCP_UPSTREAM_NAME: "bench",
    LOG_LEVEL: "warn",
  };
  const pool = new Pool(`http://127.0.0.1:${port}`, { connections: 64, pipelining: 1 });
  const directPool = new Pool(upstream.url, { connections: 64, pipelining: 1 });
  try {
    await dockerOut(defaultSidecarDockerRun(container, image, env));
    const startedAt = Date.now();
    for (let i = 0; ; i++) {
      const live = await fetch(`http://127.0.0.1:${port}/livez`).then(
        (r) => r.ok,
        () => false,
      );
      if (live) break;
      if (i > 100) throw new Error("the sidecar container did not become live");
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
    await new Promise((resolve) => setTimeout(resolve, 5_000));
    const idle = await containerMemory(container);
    // What an idle pod burns for good: the background probe (every 15 s by default) and Node's check for
    // overdue requests (every second), two probes in the window; it begins half a minute after the start,
    // once the start's own work (compilations, the memory reducer's collections) is done.
    await new Promise((resolve) => setTimeout(resolve, Math.max(0, startedAt + 30_000 - Date.now())));
    const idleCpuBefore = await containerCpuSeconds(container);
    await new Promise((resolve) => setTimeout(resolve, idleCpuSeconds * 1000));
    const idleCpuMsPerSecond = (((await containerCpuSeconds(container)) - idleCpuBefore) / idleCpuSeconds) * 1000;
    const via = await sessionTarget("container", pool);
    const direct = await sessionTarget("direct", directPool);
    await fixedRate(direct, 200, 2); // warm-up, both
    await fixedRate(via, 200, 2);
    const directP99 = percentile(await fixedRate(direct, 1000, 10), 99);
    const cpuBefore = await containerCpuSeconds(container);
    const started = performance.now();
    const samples = await fixedRate(via, 1000, 20);
    const elapsed = (performance.now() - started) / 1000;
    const cores = ((await containerCpuSeconds(container)) - cpuBefore) / elapsed;
    const loaded = await containerMemory(container);
    const ms = (us: number) => `${(us / 1000).toFixed(2)} ms`;
    const oomKilled = await inspect(container, "{{.State.OOMKilled}}");
    say(
      `sidecar image under Docker (--memory ${limit}, NODE_OPTIONS="${nodeOptions}"): image +${(added / 1e6).toFixed(1)} MB over node:24-slim (goal ≤ 20); working set idle ${describeWorkingSet(idle)} (goal ≤ 35), after 20 s at 1,000 req/s ${describeWorkingSet(loaded)} (goal ≤ 50; usage with inactive file pages ${mib(loaded.usageMib)}); CPU idle ${idleCpuMsPerSecond.toFixed(2)} ms per second (${idleCpuSeconds} s), ${cores.toFixed(3)} core per 1,000 req/s; p50 ${ms(percentile(samples, 50))}, p99 ${ms(percentile(samples, 99))} (direct to the server, same run: p99 ${ms(directP99)}); OOM-killed: ${oomKilled}`,
    );
  } finally {
    await pool.destroy();
    await directPool.destroy();
    await docker(["rm", "-f", container]);
    await upstream.stop();
  }
}

// As the test run does (global-setup.ts): the Docker engine started unless one answers, and the local
// stand-in base images (node:24-slim among them) built once per machine.
const stopEngine = dockerWithBaseImages(setupTools());
try {
  await main();
} catch (error: unknown) {
  console.error(error);
  process.exitCode = 1;
} finally {
  stopEngine();
}
