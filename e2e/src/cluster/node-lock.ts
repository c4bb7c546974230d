import { spawn } from "node:child_process";
import { waitForOutput } from "@mcpscope/sidecar/testing";

/** Where the node provider's machine-wide lock lives (not the lock a developer takes around a whole run). */
export const nodeClusterLockPath = "/tmp/mcpscope-node-cluster.lock";

/**
 * One node cluster on this machine at a time: its address on `lo`, its iptables guards and its CNI
 * bridge are fixed, so a second one would take them over and its clean-up tear down the first's (two
 * test files of one run did). The lock is held by a `flock` child that waits on its stdin: released
 * when the returned function ends that input, or when this process dies and the pipe closes with it.
 */
export async function lockNodeCluster(waitMs = 1_800_000): Promise<() => Promise<void>> {
  const holder = spawn("flock", ["--exclusive", nodeClusterLockPath, "sh", "-c", "echo locked; read _"], {
    stdio: ["pipe", "pipe", "inherit"],
  });
  await waitForOutput(holder, /locked/, waitMs, "the node cluster lock");
  return async () => {
    if (holder.exitCode !== null) return;
    const exited = new Promise((resolve) => holder.once("exit", resolve));
    holder.stdin?.end();
    await exited;
  };
}
