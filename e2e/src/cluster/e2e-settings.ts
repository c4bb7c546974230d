import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { vi } from "vitest";

/**
 * The MCP servers' image in the full-path test: the sidecar image with server-everything baked in
 * (sidecar/Dockerfile with --build-arg MCP_STDIO_PACKAGES=everythingPackage), so one image serves the
 * HTTP server (command mcp-server-everything) and the stdio one (the sidecar's command mode).
 */
export const e2eServerImage = "mcpscope/mcp-everything:e2e";
/** The server-everything the tests run (the version the workspace's lock file pins). */
export const everythingPackage = `@modelcontextprotocol/server-everything@${
  (
    JSON.parse(
      readFileSync(
        fileURLToPath(
          new URL("../../../node_modules/@modelcontextprotocol/server-everything/package.json", import.meta.url),
        ),
        "utf8",
      ),
    ) as { version: string }
  ).version
}`;

const multiServerConfigPath = fileURLToPath(new URL("../../../compose/prometheus.yml", import.meta.url));

/**
 * The multi-server Prometheus config (compose/prometheus.yml) pointed at this run's collector, with 1 s
 * scrape and rule-evaluation intervals instead of 15 s so the test waits seconds, not minutes.
 */
export function multiServerPrometheusConfig(collectorTarget: string): string {
  const config = readFileSync(multiServerConfigPath, "utf8");
  if (!config.includes("otelcol:8889")) throw new Error("compose/prometheus.yml no longer scrapes otelcol:8889");
  return config
    .replaceAll("otelcol:8889", collectorTarget)
    .replace(/scrape_interval: \d+s/, "scrape_interval: 1s")
    .replace(/evaluation_interval: \d+s/, "evaluation_interval: 1s");
}

/**
 * vitest's vi.waitFor until `check` returns a truthy value, which it returns; on time-out the error
 * names what it waited for and the last failure of `check`.
 */
export function waitFor<T>(
  what: string,
  check: () => Promise<T | undefined | null | false>,
  timeoutMs: number,
): Promise<T> {
  return vi.waitFor(
    async () => {
      let value: T | undefined | null | false;
      try {
        value = await check();
      } catch (error) {
        throw new Error(`timed out after ${timeoutMs} ms waiting for ${what} (${String(error)})`);
      }
      if (!value) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
      return value;
    },
    { timeout: timeoutMs, interval: 250 },
  );
}
