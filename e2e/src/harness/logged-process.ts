import { type ChildProcess, spawn } from "node:child_process";

export interface LoggedProcess {
  child: ChildProcess;
  /** The last `keep` characters the process wrote to stdout and stderr, for failure messages. */
  log(): string;
}

/** Spawns a long-running program, keeping the tail of its output. */
export function spawnLogged(file: string, args: string[], keep = 30_000): LoggedProcess {
  const child = spawn(file, args, { stdio: ["ignore", "pipe", "pipe"] });
  let output = "";
  const append = (chunk: Buffer) => {
    output = (output + chunk.toString()).slice(-keep);
  };
  child.stdout?.on("data", append);
  child.stderr?.on("data", append);
  return { child, log: () => output };
}
