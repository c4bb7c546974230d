import { describe, expect, it } from "vitest";
import { describeWorkingSet } from "./container-memory.js";

describe("describeWorkingSet", () => {
  const reading = { workingSetMib: 42.24, usageMib: 50, anonMib: 39.71, activeFileMib: 0.2, kernelMib: 1.06 };

  it("names the working set's parts, kernel memory where cgroup v2 lists it", () => {
    expect(describeWorkingSet(reading)).toBe("42.2 MiB (anon 39.7, active file 0.2, kernel 1.1)");
  });

  it("leaves kernel memory out on cgroup v1, which does not list it", () => {
    expect(describeWorkingSet({ ...reading, kernelMib: Number.NaN })).toBe("42.2 MiB (anon 39.7, active file 0.2)");
  });
});
