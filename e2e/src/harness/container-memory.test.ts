import { describe, expect, it } from "vitest";
import { cgroupFilesOf, describeWorkingSet } from "./container-memory.js";

describe("describeWorkingSet", () => {
  const reading = { workingSetMib: 42.24, usageMib: 50, anonMib: 39.71, activeFileMib: 0.2, kernelMib: 1.06 };

  it("names the working set's parts, kernel memory where cgroup v2 lists it", () => {
    expect(describeWorkingSet(reading)).toBe("42.2 MiB (anon 39.7, active file 0.2, kernel 1.1)");
  });

  it("leaves kernel memory out on cgroup v1, which does not list it", () => {
    expect(describeWorkingSet({ ...reading, kernelMib: Number.NaN })).toBe("42.2 MiB (anon 39.7, active file 0.2)");
  });
});

describe("cgroupFilesOf", () => {
  it("finds cgroup v1's memory and cpuacct files of the process's cgroups", () => {
    const v1 =
      "12:pids:/docker/abc\n9:memory:/docker/abc\n4:cpu,cpuacct:/docker/abc\n1:name=systemd:/docker/abc\n0::/system.slice/docker.service\n";
    expect(cgroupFilesOf(v1)).toEqual({
      memoryUsage: "/sys/fs/cgroup/memory/docker/abc/memory.usage_in_bytes",
      memoryStat: "/sys/fs/cgroup/memory/docker/abc/memory.stat",
      cpuUsage: { path: "/sys/fs/cgroup/cpuacct/docker/abc/cpuacct.usage", unit: "ns" },
    });
  });

  it("finds cgroup v2's files of the process's cgroup", () => {
    expect(cgroupFilesOf("0::/system.slice/docker-abc.scope\n")).toEqual({
      memoryUsage: "/sys/fs/cgroup/system.slice/docker-abc.scope/memory.current",
      memoryStat: "/sys/fs/cgroup/system.slice/docker-abc.scope/memory.stat",
      cpuUsage: { path: "/sys/fs/cgroup/system.slice/docker-abc.scope/cpu.stat", unit: "usage_usec" },
    });
  });

  it("says what it read when there is no accounting", () => {
    expect(() => cgroupFilesOf("3:memory:/docker/abc\n")).toThrow(
      "no memory and cpu accounting cgroups in: 3:memory:/docker/abc",
    );
  });
});
