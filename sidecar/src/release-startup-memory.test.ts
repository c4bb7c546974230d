import { spawnSync } from "node:child_process";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { sidecarCommandLineFlags, sidecarNodeFlags } from "./runtime-flags.js";

const modulePath = fileURLToPath(new URL("./release-startup-memory.ts", import.meta.url));

/**
 * Runs releaseStartupMemory in a Node of its own with `flags`, after leaving garbage behind as a start
 * does: what it returns, and V8's young generation and RSS around it.
 */
function releaseIn(flags: readonly string[]) {
  const script = `
    import { getHeapSpaceStatistics } from "node:v8";
    const { releaseStartupMemory } = await import(${JSON.stringify(modulePath)});
    const youngBytes = () => getHeapSpaceStatistics().find((s) => s.space_name === "new_space").physical_space_size;
    let startup = [];
    for (let i = 0; i < 200_000; i++) startup.push({ i, name: "module " + i });
    startup = undefined;
    const youngBefore = youngBytes();
    const released = releaseStartupMemory();
    console.log(JSON.stringify({ released, youngBefore, youngAfter: youngBytes() }));`;
  const run = spawnSync(process.execPath, [...flags, "--input-type=module", "-e", script], { encoding: "utf8" });
  expect(run.stderr).toBe("");
  return JSON.parse(run.stdout) as {
    released?: { rssBefore: number; rssAfter: number };
    youngBefore: number;
    youngAfter: number;
  };
}

describe("releaseStartupMemory", () => {
  it("with the sidecar's flags, collects and gives the freed memory and young generation back", () => {
    const { released, youngBefore, youngAfter } = releaseIn([...sidecarNodeFlags, ...sidecarCommandLineFlags]);
    expect(released).toBeDefined();
    expect(released?.rssAfter).toBeLessThan(released?.rssBefore ?? 0);
    expect(youngAfter).toBeLessThan(youngBefore);
  });

  it("does nothing where V8's collector is not exposed", () => {
    const { released, youngBefore, youngAfter } = releaseIn(sidecarNodeFlags);
    expect(released).toBeUndefined();
    expect(youngAfter).toBe(youngBefore);
  });
});
