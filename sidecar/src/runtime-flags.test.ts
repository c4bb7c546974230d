import { spawnSync } from "node:child_process";
import { describe, expect, it } from "vitest";
import { minOldSpaceMb, sidecarCommandLineFlags, sidecarNodeFlags, sidecarNodeFlagsForLimit } from "./runtime-flags.js";

/** What this Node says to a flag given in NODE_OPTIONS: "" when it runs, else its complaint. */
function nodeOptionsRefusal(flag: string): string {
  const run = spawnSync(process.execPath, ["-e", ""], {
    env: { ...process.env, NODE_OPTIONS: flag },
    encoding: "utf8",
  });
  return run.status === 0 ? "" : run.stderr.trim();
}

describe("sidecarCommandLineFlags", () => {
  it("holds what Node refuses in NODE_OPTIONS, and Node runs with each on its command line", () => {
    expect(sidecarCommandLineFlags.filter((flag) => nodeOptionsRefusal(flag) !== "")).toEqual([
      "--memory-saver-mode",
      "--no-memory-reducer",
    ]);
    for (const flag of sidecarCommandLineFlags) expect(spawnSync(process.execPath, [flag, "-e", ""]).status).toBe(0);
  });

  it("keeps --expose-gc off NODE_OPTIONS, which a stdio MCP server would inherit", () => {
    expect(sidecarCommandLineFlags).toContain("--expose-gc");
    expect(sidecarNodeFlagsForLimit(256 * 2 ** 20)).not.toContain("--expose-gc");
  });

  it("leaves out of NODE_OPTIONS what Node would refuse there", () => {
    for (const flag of sidecarNodeFlagsForLimit(256 * 2 ** 20)) expect(nodeOptionsRefusal(flag)).toBe("");
  });
});

describe("sidecarNodeFlagsForLimit", () => {
  it("caps old space at half the memory limit, in MiB, after the image's own flags", () => {
    expect(sidecarNodeFlagsForLimit(256 * 2 ** 20)).toEqual([...sidecarNodeFlags, "--max-old-space-size=128"]);
    expect(sidecarNodeFlagsForLimit(2 ** 30)).toEqual([...sidecarNodeFlags, "--max-old-space-size=512"]);
    expect(sidecarNodeFlagsForLimit(200_000_000)).toEqual([...sidecarNodeFlags, "--max-old-space-size=95"]);
  });

  it("never goes below the sidecar's live heap, however small the limit", () => {
    expect(sidecarNodeFlagsForLimit(32 * 2 ** 20)).toEqual([
      ...sidecarNodeFlags,
      `--max-old-space-size=${minOldSpaceMb}`,
    ]);
  });

  it("leaves the heap to Node's own sizing when no limit is known", () => {
    expect(sidecarNodeFlagsForLimit(undefined)).toEqual([...sidecarNodeFlags]);
    expect(sidecarNodeFlagsForLimit(Number.NaN)).toEqual([...sidecarNodeFlags]);
    expect(sidecarNodeFlagsForLimit(0)).toEqual([...sidecarNodeFlags]);
  });
});

describe("sidecarNodeFlags", () => {
  it("caps the young generation at a size V8 runs as written (it rounds a semi-space up to a power of two)", () => {
    const flag = sidecarNodeFlags.find((f) => f.startsWith("--max-semi-space-size="));
    const megabytes = Number(flag?.split("=")[1]);
    expect(Number.isInteger(Math.log2(megabytes))).toBe(true);
    // Short-lived objects until the young generation has grown to its cap; then one semi-space's capacity.
    const script = `let keep = []; for (let i = 0; i < 5e6; i++) { keep.push({ i }); if (keep.length > 30000) keep = []; }
      const space = require("node:v8").getHeapSpaceStatistics().find((s) => s.space_name === "new_space");
      console.log((space.space_used_size + space.space_available_size) / 2 ** 20);`;
    const run = spawnSync(process.execPath, [...sidecarNodeFlags, "-e", script], { encoding: "utf8" });
    expect(run.status).toBe(0);
    expect(Number(run.stdout.trim())).toBeCloseTo(megabytes, 0);
  });
});
