import { describe, expect, it } from "vitest";
import { cpuSecondsFromProcStat, median, percentile, rotated, rssMbFromProcStatus } from "./stats.js";

describe("bench statistics", () => {
  it("rotates the arms each round, so every arm runs first in turn", () => {
    expect([0, 1, 2, 3].map((r) => rotated(r, ["a", "b", "c"]).join(""))).toEqual(["abc", "bca", "cab", "abc"]);
    expect([0, 1].map((r) => rotated(r, ["direct", "via"]))).toEqual([
      ["direct", "via"],
      ["via", "direct"],
    ]);
  });

  it("takes nearest-rank percentiles", () => {
    const samples = Array.from({ length: 100 }, (_, i) => i + 1);
    expect(percentile(samples, 50)).toBe(50);
    expect(percentile(samples, 99)).toBe(99);
    expect(percentile([5], 99)).toBe(5);
    expect(median([3, 1, 2])).toBe(2);
  });

  it("reads CPU time from /proc/PID/stat even when the command name has spaces", () => {
    const stat = "1234 (node main (x)) S 1 1234 1234 0 -1 4194560 100 0 0 0 250 50 0 0 20 0 11 0 100 0 0";
    expect(cpuSecondsFromProcStat(stat)).toBe(3);
  });

  it("reads VmRSS from /proc/PID/status", () => {
    expect(rssMbFromProcStatus("Name:\tnode\nVmRSS:\t  102400 kB\nThreads:\t11\n")).toBe(100);
  });
});
