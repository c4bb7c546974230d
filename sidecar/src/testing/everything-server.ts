import { type ChildProcess, spawn } from "node:child_process";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { freePort } from "./free-port.js";

export type EverythingTransport = "streamableHttp" | "sse" | "stdio";

export interface RunningProcess {
  url: string;
  port: number;
  child: ChildProcess;
  stop(): Promise<void>;
}

/** Path of @modelcontextprotocol/server-everything's CLI, resolved from this package's dependencies. */
export function everythingServerScript(): string {
  const require = createRequire(import.meta.url);
  const pkg = require.resolve("@modelcontextprotocol/server-everything/package.json");
  return join(dirname(pkg), "dist", "index.js");
}

/** The stdio command line for server-everything, as MCP_UPSTREAM_COMMAND takes it. */
export function everythingStdioCommand(): string {
  return `${JSON.stringify(process.execPath)} ${JSON.stringify(everythingServerScript())} stdio`;
}

/** Waits for a line on stderr/stdout matching `ready`, or fails when the process exits first. */
export function waitForOutput(child: ChildProcess, ready: RegExp, timeoutMs: number, what: string): Promise<void> {
  return new Promise((resolve, reject) => {
    let seen = "";
    const timer = setTimeout(
      () => done(new Error(`${what} did not start within ${timeoutMs} ms:\n${seen}`)),
      timeoutMs,
    );
    const onData = (data: Buffer) => {
      seen += data.toString();
      if (ready.test(seen)) done();
    };
    const onExit = (code: number | null) =>
      done(new Error(`${what} exited with ${code} before it was ready:\n${seen}`));
    function done(error?: Error) {
      clearTimeout(timer);
      child.stdout?.off("data", onData);
      child.stderr?.off("data", onData);
      child.off("exit", onExit);
      if (error) reject(error);
      else resolve();
    }
    child.stdout?.on("data", onData);
    child.stderr?.on("data", onData);
    child.once("exit", onExit);
  });
}

/** Stops a child with SIGTERM, then SIGKILL if it lingers; resolves once it has exited. */
export function stopProcess(child: ChildProcess, graceMs = 3_000): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    const timer = setTimeout(() => child.kill("SIGKILL"), graceMs);
    child.once("exit", () => {
      clearTimeout(timer);
      resolve();
    });
    child.kill("SIGTERM");
  });
}

/** Runs the real server-everything over HTTP on a free loopback port. */
export async function startEverythingServer(
  transport: Exclude<EverythingTransport, "stdio">,
  port?: number,
): Promise<RunningProcess> {
  const chosen = port ?? (await freePort());
  const child = spawn(process.execPath, [everythingServerScript(), transport], {
    env: { ...process.env, PORT: String(chosen) },
    stdio: ["ignore", "pipe", "pipe"],
  });
  await waitForOutput(child, /listening on port|running on port/i, 20_000, `server-everything (${transport})`);
  // Keep draining output so a chatty server never blocks on a full pipe.
  child.stdout?.resume();
  child.stderr?.resume();
  return {
    url: `http://127.0.0.1:${chosen}`,
    port: chosen,
    child,
    stop: () => stopProcess(child),
  };
}
