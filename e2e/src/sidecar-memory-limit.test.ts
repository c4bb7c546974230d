import { connect } from "node:net";
import {
  freePort,
  initializeSession,
  mcpAccept,
  type RunningProcess,
  startEverythingServer,
} from "@mcpscope/sidecar/testing";
import { Pool, request } from "undici";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { fixedRate, mcpHeaders } from "./bench/clients.js";
import { defaultSidecarDockerRun, defaultSidecarRuntime } from "./bench/default-sidecar.js";
import { containerMemory, describeWorkingSet } from "./harness/container-memory.js";
import { docker, dockerBuild, dockerOut, inspect } from "./harness/docker.js";

// The sidecar image inside the memory limit and with the NODE_OPTIONS the operator and the webhook give
// a pod by default (Docker's --memory is the same cgroup limit the kubelet sets), under the loads the
// other tests make: 1,000 req/s, 1,000 abandoned streams, slow bodies. The kernel must not OOM-kill it.

const image = "mcpscope/sidecar:e2e";
const container = `mcpscope-memory-limit-${process.pid}`;
const { memoryLimit: limit, nodeOptions } = defaultSidecarRuntime();

let upstream: RunningProcess;
let proxyUrl = "";
const seen: string[] = [];

beforeAll(async () => {
  await dockerBuild("sidecar/Dockerfile", image);
  upstream = await startEverythingServer("streamableHttp");
  const [port, metricsPort] = [await freePort(), await freePort()];
  proxyUrl = `http://127.0.0.1:${port}`;
  // Host network: the server runs on this host's loopback.
  await dockerOut(
    defaultSidecarDockerRun(container, image, {
      HOST: "127.0.0.1",
      METRICS_HOST: "127.0.0.1",
      PORT: String(port),
      METRICS_PORT: String(metricsPort),
      MCP_UPSTREAM_URL: upstream.url,
      MCP_UPSTREAM_NAME: "limited",
      MCP_UPSTREAM_TIMEOUT_MS: "5000",
      LOG_LEVEL: "warn",
    }),
  );
  for (
    let i = 0;
    !(await fetch(`${proxyUrl}/livez`).then(
      (r) => r.ok,
      () => false,
    ));
    i++
  ) {
    if (i > 150)
      throw new Error(`the sidecar container did not become live: ${(await docker(["logs", container])).stderr}`);
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}, 600_000);

afterAll(async () => {
  await docker(["rm", "-f", container]);
  await upstream?.stop();
  console.log(`── sidecar working set inside --memory ${limit} (NODE_OPTIONS="${nodeOptions}") ──\n${seen.join("\n")}`);
});

async function stillInsideTheLimit(after: string): Promise<void> {
  expect(await inspect(container, "{{.State.OOMKilled}}")).toBe("false");
  expect(await inspect(container, "{{.State.Running}}")).toBe("true");
  const memory = await containerMemory(container);
  seen.push(`  after ${after}: working set ${describeWorkingSet(memory)}, usage ${memory.usageMib.toFixed(1)} MiB`);
  expect(memory.workingSetMib).toBeLessThan(Number.parseInt(limit, 10));
  const live = await request(`${proxyUrl}/livez`);
  expect(live.statusCode).toBe(200);
  await live.body.text();
}

describe("the sidecar image inside its default memory limit", { timeout: 240_000 }, () => {
  it(`has a limit and a heap sized to it in the pod spec (${limit})`, async () => {
    expect(limit).toMatch(/^\d+Mi$/);
    expect(nodeOptions).toContain(`--max-old-space-size=${Number.parseInt(limit, 10) / 2}`);
    await stillInsideTheLimit("start");
  });

  it("is not OOM-killed by 20 s at 1,000 req/s of tools/call", async () => {
    const session = await initializeSession(proxyUrl, "2025-06-18");
    const pool = new Pool(proxyUrl, { connections: 64, pipelining: 1 });
    try {
      const target = { name: "limited", pool, path: "/mcp", headers: { ...mcpHeaders, "mcp-session-id": session } };
      const latencies = await fixedRate(target, 1000, 20);
      expect(latencies).toHaveLength(20_000);
    } finally {
      await pool.destroy();
    }
    await stillInsideTheLimit("20 s at 1,000 req/s");
  });

  it("is not OOM-killed by 1,000 abandoned SSE-answered calls, 100 at a time", async () => {
    const session = await initializeSession(proxyUrl, "2025-06-18");
    for (let done = 0; done < 1_000; done += 100) {
      const controller = new AbortController();
      const heads = await Promise.all(
        Array.from({ length: 100 }, async (_, i) => {
          const response = await request(`${proxyUrl}/mcp`, {
            method: "POST",
            headers: { "content-type": "application/json", accept: mcpAccept, "mcp-session-id": session },
            body: JSON.stringify({
              jsonrpc: "2.0",
              id: done + i,
              method: "tools/call",
              params: { name: "trigger-long-running-operation", arguments: { duration: 30, steps: 30 } },
            }),
            signal: controller.signal,
          });
          response.body.on("error", () => {});
          response.body.resume();
          return response.statusCode;
        }),
      );
      expect(heads.every((status) => status === 200)).toBe(true);
      controller.abort();
    }
    await stillInsideTheLimit("1,000 abandoned streams");
  });

  it("is not OOM-killed by 200 clients trickling 1 MB bodies a byte at a time, then leaving", async () => {
    const sockets = Array.from({ length: 200 }, () => {
      const socket = connect(Number(new URL(proxyUrl).port), "127.0.0.1");
      socket.on("error", () => {});
      socket.write(
        "POST /mcp HTTP/1.1\r\nHost: sidecar\r\nContent-Type: application/json\r\nAccept: application/json, text/event-stream\r\nContent-Length: 1000000\r\n\r\n{",
      );
      return socket;
    });
    for (let tick = 0; tick < 50; tick++) {
      for (const socket of sockets) if (!socket.destroyed) socket.write(" ");
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    for (const socket of sockets) socket.destroy();
    await stillInsideTheLimit("200 slow bodies");
  });
});
