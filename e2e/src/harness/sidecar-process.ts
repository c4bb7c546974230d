import type { ChildProcess } from "node:child_process";
import { spawn } from "node:child_process";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { sidecarCommandLineFlags, sidecarNodeFlags } from "@mcpscope/sidecar";
import { freePort, isPortFree, type RunningProcess, stopProcess } from "@mcpscope/sidecar/testing";

export interface SidecarProcess extends RunningProcess {
  proxyUrl: string;
  metricsUrl: string;
  serverName: string;
  /** The last 256 kB the sidecar wrote to stdout (its logs, and spans of a console exporter). */
  output(): string;
}

/** The built sidecar entry point (`npm run build` output), exactly what images and users run. */
export function sidecarMainJs(): string {
  const require = createRequire(import.meta.url);
  return join(dirname(require.resolve("@mcpscope/sidecar/package.json")), "dist", "main.js");
}

async function portOrFree(preferred: number | undefined): Promise<number> {
  if (preferred === undefined) return freePort();
  return (await isPortFree(preferred)) ? preferred : freePort();
}

/** The image's entry point: the rolldown bundle of dist/main.js (`npm run build` writes both). */
export function sidecarBundleJs(): string {
  return join(dirname(sidecarMainJs()), "..", "bundle", "main.js");
}

/**
 * Runs `node sidecar/dist/main.js` (or, with `bundle`, the image's bundle) with the given env on
 * loopback; ports default to free ones.
 */
export async function startSidecarProcess(
  env: Record<string, string>,
  ports: { port?: number; metricsPort?: number; host?: string } = {},
  options: { bundle?: boolean } = {},
): Promise<SidecarProcess> {
  // A loopback address of its own (127.0.0.2, …) stands for a pod IP in replica tests.
  const host = ports.host ?? "127.0.0.1";
  const port = await portOrFree(ports.port);
  const metricsPort = await portOrFree(ports.metricsPort);
  const script = options.bundle ? sidecarBundleJs() : sidecarMainJs();
  const child = spawn(process.execPath, [...sidecarNodeFlags, ...sidecarCommandLineFlags, script], {
    env: {
      ...process.env,
      HOST: host,
      METRICS_HOST: host,
      LOG_LEVEL: "info",
      ...env,
      PORT: String(port),
      METRICS_PORT: String(metricsPort),
    },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let output = "";
  child.stdout?.on("data", (chunk: Buffer) => {
    output = (output + chunk.toString()).slice(-256_000);
  });
  child.stderr?.pipe(process.stderr);
  await untilLive(`http://${host}:${port}/livez`, child, 20_000);
  return {
    url: `http://${host}:${port}`,
    port,
    child,
    proxyUrl: `http://${host}:${port}`,
    metricsUrl: `http://${host}:${metricsPort}/metrics`,
    serverName: env.MCP_UPSTREAM_NAME ?? "",
    output: () => output,
    stop: () => stopProcess(child, 15_000),
  };
}

/** Polls the liveness endpoint: readiness must not depend on the log level. */
async function untilLive(url: string, child: ChildProcess, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`sidecar exited with ${child.exitCode} before it was live`);
    try {
      if ((await fetch(url)).ok) return;
    } catch {
      // not listening yet
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error(`sidecar not live at ${url} within ${timeoutMs} ms`);
}
