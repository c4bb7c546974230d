import { type ChildProcess, spawn } from "node:child_process";
import { ReadBuffer, serializeMessage } from "@modelcontextprotocol/sdk/shared/stdio.js";
import type { Transport } from "@modelcontextprotocol/sdk/shared/transport.js";
import type { JSONRPCMessage } from "@modelcontextprotocol/sdk/types.js";

const graceMs = 2_000;

/**
 * A stdio MCP server run exactly as `/bin/sh -c "<command>"` would run it (so `VAR=x cmd` and
 * `cd dir && cmd` work), in a process group of its own: closing it ends the shell and everything
 * the shell started (stdin closed, then SIGTERM, then SIGKILL to the whole group), so no child is
 * left behind. Implements the MCP SDK's Transport, reading and writing with the SDK's line codec.
 */
export class ChildStdioTransport implements Transport {
  onclose?: () => void;
  onerror?: (error: Error) => void;
  onmessage?: (message: JSONRPCMessage) => void;
  readonly #command: string;
  readonly #env: Record<string, string>;
  readonly #readBuffer = new ReadBuffer();
  #child: ChildProcess | undefined;
  #exited: Promise<void> = Promise.resolve();

  constructor(command: string, env: Record<string, string>) {
    this.#command = command;
    this.#env = env;
  }

  /** The shell's pid (= its process group id) while it runs. */
  get pid(): number | undefined {
    return this.#child?.pid;
  }

  start(): Promise<void> {
    return new Promise((resolve, reject) => {
      const child = spawn("/bin/sh", ["-c", this.#command], {
        env: this.#env,
        stdio: ["pipe", "pipe", "inherit"],
        detached: true,
      });
      this.#child = child;
      this.#exited = new Promise((done) => child.once("close", () => done()));
      child.once("error", (error) => {
        reject(error);
        this.onerror?.(error);
      });
      child.once("spawn", () => resolve());
      child.once("close", () => {
        // The shell is gone; anything it started in its group goes with it.
        signalGroup(child, "SIGKILL");
        this.#child = undefined;
        this.onclose?.();
      });
      child.stdout?.on("data", (chunk: Buffer) => {
        this.#readBuffer.append(chunk);
        this.#drain();
      });
      child.stdin?.on("error", (error) => this.onerror?.(error));
    });
  }

  send(message: JSONRPCMessage): Promise<void> {
    return new Promise((resolve, reject) => {
      const stdin = this.#child?.stdin;
      if (!stdin || stdin.destroyed) {
        reject(new Error("the stdio MCP server is not running"));
        return;
      }
      if (stdin.write(serializeMessage(message))) resolve();
      else stdin.once("drain", resolve);
    });
  }

  async close(): Promise<void> {
    const child = this.#child;
    if (!child) return;
    const exited = this.#exited;
    child.stdin?.end();
    if (await settlesWithin(exited, graceMs)) return;
    signalGroup(child, "SIGTERM");
    if (await settlesWithin(exited, graceMs)) return;
    signalGroup(child, "SIGKILL");
    await exited;
  }

  #drain(): void {
    for (;;) {
      let message: JSONRPCMessage | null;
      try {
        message = this.#readBuffer.readMessage();
      } catch (error) {
        this.onerror?.(error as Error);
        continue;
      }
      if (message === null) return;
      this.onmessage?.(message);
    }
  }
}

function signalGroup(child: ChildProcess, signal: NodeJS.Signals): void {
  if (child.pid === undefined) return;
  try {
    process.kill(-child.pid, signal);
  } catch {
    // ESRCH: the group is already gone.
  }
}

async function settlesWithin(promise: Promise<void>, ms: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<false>((resolve) => {
    timer = setTimeout(() => resolve(false), ms);
  });
  const settled = await Promise.race([promise.then(() => true as const), timeout]);
  clearTimeout(timer);
  return settled;
}
