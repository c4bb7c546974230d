import { type ChildProcess, spawn } from "node:child_process";
import { once } from "node:events";
import type { ProcessPlan } from "./pod-plan.js";

export interface RunningContainer {
  plan: ProcessPlan;
  child: ChildProcess;
  /** The last 20 kB of the container's stdout and stderr, for failure messages. */
  log(): string;
  stop(): Promise<void>;
}

function groupAlive(pid: number): boolean {
  try {
    process.kill(-pid, 0);
    return true;
  } catch {
    return false;
  }
}

/**
 * Stops a container's whole process group: SIGTERM (as a kubelet does), SIGKILL after the grace
 * period. Group-wide because npx and the sidecar's stdio servers run as children.
 */
async function stopGroup(child: ChildProcess, graceMs: number): Promise<void> {
  const pid = child.pid;
  if (pid === undefined) return;
  const exited = child.exitCode !== null || child.signalCode !== null ? Promise.resolve() : once(child, "exit");
  if (groupAlive(pid)) process.kill(-pid, "SIGTERM");
  const deadline = Date.now() + graceMs;
  await Promise.race([exited, new Promise((resolve) => setTimeout(resolve, graceMs))]);
  while (groupAlive(pid) && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 50));
  if (groupAlive(pid)) process.kill(-pid, "SIGKILL");
  await exited;
  while (groupAlive(pid)) await new Promise((resolve) => setTimeout(resolve, 20));
}

/**
 * Runs one container as a local process group in `cwd` (the image's working directory: this
 * repository, whose build output the images copy). `node` is this Node 24.
 */
export function runContainer(
  plan: ProcessPlan,
  options: { cwd: string; hostname: string; graceMs?: number },
): RunningContainer {
  const [program = "", ...args] = plan.command;
  const child = spawn(program === "node" ? process.execPath : program, args, {
    cwd: options.cwd,
    env: { PATH: process.env.PATH ?? "", HOME: process.env.HOME ?? "/tmp", HOSTNAME: options.hostname, ...plan.env },
    stdio: ["ignore", "pipe", "pipe"],
    detached: true,
  });
  let output = "";
  const keep = (data: Buffer) => {
    output = (output + data.toString()).slice(-20_000);
  };
  child.stdout?.on("data", keep);
  child.stderr?.on("data", keep);
  child.on("error", (error) => keep(Buffer.from(`spawn error: ${error.message}\n`)));
  return { plan, child, log: () => output, stop: () => stopGroup(child, options.graceMs ?? 10_000) };
}

/** Process groups of these containers that are still alive after tear-down (should be none). */
export function survivingGroups(containers: readonly RunningContainer[]): string[] {
  return containers
    .filter((c) => c.child.pid !== undefined && groupAlive(c.child.pid))
    .map((c) => `${c.plan.containerName} (pgid ${c.child.pid})`);
}
