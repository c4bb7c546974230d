import { describe, expect, it } from "vitest";
import {
  cpuSecondsFromProcStat,
  median,
  percentile,
  rotated,
  rssAnonMibFromProcStatus,
  rssMbFromProcStatus,
  workingSetMib,
  workingSetParts,
} from "./stats.js";

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

  it("reads RssAnon from /proc/PID/status", () => {
    expect(rssAnonMibFromProcStatus("VmRSS:\t  102400 kB\nRssAnon:\t   40960 kB\nRssFile:\t 61440 kB\n")).toBe(40);
  });

  it("counts a container's working set as usage less inactive file pages, on cgroup v2 and v1", () => {
    const mib = 2 ** 20;
    expect(workingSetMib(60 * mib, "anon 41943040\nfile 20971520\ninactive_file 10485760\nactive_file 0\n")).toBe(50);
    // v1 lists the cgroup's own inactive_file and, with its children, total_inactive_file: the total counts.
    expect(workingSetMib(60 * mib, "inactive_file 1048576\ntotal_inactive_file 20971520\n")).toBe(40);
    expect(workingSetMib(mib, "total_inactive_file 4194304\n")).toBe(0);
  });

  it("splits a container's working set into anonymous memory, active file pages and kernel memory", () => {
    const v2 = "anon 41943040\nfile 20971520\nkernel 3145728\nactive_anon 0\nactive_file 10485760\ninactive_file 1\n";
    expect(workingSetParts(v2)).toEqual({ anonMib: 40, activeFileMib: 10, kernelMib: 3 });
    // v1 has no kernel line; its totals (with children) count, not the cgroup's own lines.
    const v1 = "rss 1048576\nactive_file 1048576\ntotal_rss 4194304\ntotal_active_file 2097152\n";
    expect(workingSetParts(v1)).toEqual({ anonMib: 4, activeFileMib: 2, kernelMib: Number.NaN });
  });
});
