import { execFile } from "node:child_process";

export interface CommandResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs a program to completion, never throwing: tests assert on the exit code and output. */
export function runProgram(
  file: string,
  args: string[],
  options: { cwd?: string; input?: string; env?: Record<string, string> } = {},
) {
  return new Promise<CommandResult>((resolve) => {
    const env = options.env ? { ...process.env, ...options.env } : undefined;
    const child = execFile(
      file,
      args,
      { cwd: options.cwd, env, maxBuffer: 64 * 1024 * 1024 },
      (error, stdout, stderr) =>
        resolve({ code: error ? (typeof error.code === "number" ? error.code : 1) : 0, stdout, stderr }),
    );
    // A program that exits without reading its stdin (pgrep, iptables -C) closes the pipe first; the
    // write then fails with EPIPE, which says nothing the exit code and stderr do not already say.
    child.stdin?.on("error", () => {});
    child.stdin?.end(options.input ?? "");
  });
}

/** The first line a program prints, e.g. its `--version`, for the e2e report ("" if it prints none). */
export async function firstLineOf(file: string, args: string[]): Promise<string> {
  return (await runProgram(file, args)).stdout.split("\n")[0]?.trim() ?? "";
}

/** The program's stdout when it succeeded; otherwise throws with what ran and its stderr. */
export function stdoutOf(result: CommandResult, what: string): string {
  if (result.code !== 0) throw new Error(`${what} failed (exit ${result.code}):\n${result.stderr}`);
  return result.stdout;
}

/** kubectl against one cluster: `kubectl --kubeconfig PATH ARGS…`, optionally with stdin. */
export function kubectlWith(kubectl: () => string, kubeconfigPath: () => string) {
  return (args: string[], input?: string) =>
    runProgram(kubectl(), ["--kubeconfig", kubeconfigPath(), ...args], { input });
}
