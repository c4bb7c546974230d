import { describe, expect, it } from "vitest";
import { minOldSpaceMb, sidecarNodeFlags, sidecarNodeFlagsForLimit } from "./runtime-flags.js";

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
