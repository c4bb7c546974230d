import { execFile } from "node:child_process";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { describe, expect, it } from "vitest";

const demoJs = fileURLToPath(new URL("../../dist/demo/main.js", import.meta.url));

describe("npm run demo", () => {
  it("prints a per-server table whose request counts equal what the SDK client sent", async () => {
    const { stdout } = await promisify(execFile)(process.execPath, [demoJs], { timeout: 120_000 });
    const sent = /Sent (\d+) requests to everything-http and (\d+) to everything-stdio/.exec(stdout);
    expect(sent).not.toBeNull();
    const row = (name: string) =>
      new RegExp(`^${name}\\s+(\\d+)\\s+(\\d+)\\s+([\\d.]+) %\\s+([\\d.]+) ms$`, "m").exec(stdout);
    expect(row("everything-http")?.[1]).toBe(sent?.[1]);
    expect(row("everything-stdio")?.[1]).toBe(sent?.[2]);
    // 4 sessions × (20 calls + 2 failing + 1 long-running) and 2 × (10 + 4 + 1) tool calls.
    expect(row("everything-http")?.[2]).toBe("92");
    expect(row("everything-stdio")?.[2]).toBe("30");
    // One traced tool call: the sidecar's span (printed by its console exporter) continues the demo's.
    const traced = /trace ([0-9a-f]{32}) \(the demo's span ([0-9a-f]{16})\)/.exec(stdout);
    expect(traced).not.toBeNull();
    expect(stdout).toMatch(
      new RegExp(`sidecar span [0-9a-f]{16} "tools/call echo", child of ${traced?.[2]}, [\\d.]+ ms`),
    );
    expect(stdout).toContain("Stopped.");
  }, 180_000);
});
