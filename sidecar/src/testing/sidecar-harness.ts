import { loadConfig } from "../config.js";
import { createLogger } from "../logger.js";
import { type RunningSidecar, startSidecar } from "../sidecar.js";
import { freePort } from "./free-port.js";

/** Starts a sidecar in this process on free loopback ports; env overrides go through the real loadConfig. */
export async function startTestSidecar(env: Record<string, string>): Promise<RunningSidecar> {
  const config = loadConfig({
    MCP_UPSTREAM_NAME: "everything",
    HOST: "127.0.0.1",
    METRICS_HOST: "127.0.0.1",
    PORT: String(await freePort()),
    METRICS_PORT: String(await freePort()),
    MCP_SHUTDOWN_GRACE_MS: "1000",
    // The OpenTelemetry SDK reads the process environment, not this one: in-process sidecars do not
    // trace (e2e/src/traces.test.ts runs sidecar processes for that).
    OTEL_TRACES_EXPORTER: "none",
    ...env,
  });
  const childEnv = Object.fromEntries(
    Object.entries(process.env).filter((e): e is [string, string] => e[1] !== undefined),
  );
  return startSidecar(config, {
    childEnv,
    logger: createLogger(env.LOG_LEVEL ?? "silent"),
  });
}
