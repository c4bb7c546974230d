import { spawn } from "node:child_process";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { freePort, type RunningProcess, stopProcess, waitForOutput } from "@mcpscope/sidecar/testing";
import { retryOnPortClash } from "./port-retry.js";

export interface RunningPrometheus extends RunningProcess {
  /** Base URL of the HTTP API, e.g. http://127.0.0.1:PORT */
  apiUrl: string;
}

export interface InstantQueryAnswer {
  status: string;
  error?: string;
  series: Array<{ metric: Record<string, string>; value: number }>;
}

/** GET /api/v1/query: Prometheus's own status and error, and each series with its value as a number. */
export async function instantQuery(apiUrl: string, query: string): Promise<InstantQueryAnswer> {
  const response = await fetch(`${apiUrl}/api/v1/query?query=${encodeURIComponent(query)}`);
  const body = (await response.json()) as {
    status: string;
    error?: string;
    data?: { result: Array<{ metric: Record<string, string>; value: [number, string] }> };
  };
  return {
    status: body.status,
    ...(body.error !== undefined ? { error: body.error } : {}),
    series: (body.data?.result ?? []).map((r) => ({ metric: r.metric, value: Number(r.value[1]) })),
  };
}

/** Runs the real Prometheus (Debian package) with the given config text and a temporary storage dir. */
export function startPrometheus(
  binary: string,
  configYaml: string,
  extraFiles: Record<string, string> = {},
): Promise<RunningPrometheus> {
  return retryOnPortClash(() => startPrometheusOnce(binary, configYaml, extraFiles));
}

async function startPrometheusOnce(
  binary: string,
  configYaml: string,
  extraFiles: Record<string, string>,
): Promise<RunningPrometheus> {
  const dir = await mkdtemp(join(tmpdir(), "mcpscope-prometheus-"));
  await writeFile(join(dir, "prometheus.yml"), configYaml);
  for (const [name, content] of Object.entries(extraFiles)) await writeFile(join(dir, name), content);
  const port = await freePort();
  const child = spawn(
    binary,
    [
      `--config.file=${join(dir, "prometheus.yml")}`,
      `--storage.tsdb.path=${join(dir, "data")}`,
      `--web.listen-address=127.0.0.1:${port}`,
      "--web.enable-lifecycle",
    ],
    { stdio: ["ignore", "pipe", "pipe"] },
  );
  try {
    await waitForOutput(child, /Server is ready to receive web requests/, 30_000, "prometheus");
  } catch (error) {
    await stopProcess(child);
    await rm(dir, { recursive: true, force: true });
    throw error;
  }
  child.stdout?.resume();
  child.stderr?.resume();
  return {
    url: `http://127.0.0.1:${port}`,
    apiUrl: `http://127.0.0.1:${port}`,
    port,
    child,
    async stop() {
      await stopProcess(child);
      await rm(dir, { recursive: true, force: true });
    },
  };
}
