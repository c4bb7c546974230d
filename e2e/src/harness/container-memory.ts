import { readFile } from "node:fs/promises";
import { type WorkingSetParts, workingSetMib, workingSetParts } from "../bench/stats.js";
import { dockerOut, inspect } from "./docker.js";

export interface ContainerMemory extends WorkingSetParts {
  /** Usage less inactive file pages, as the kubelet counts it against the limit (MiB). */
  workingSetMib: number;
  /** The cgroup's whole usage, file pages included (MiB). */
  usageMib: number;
}

/**
 * A running container's memory from its own cgroup, read inside it (cgroup v2 or v1, whichever the
 * engine gives it) with the image's `cat`.
 */
export async function containerMemory(container: string): Promise<ContainerMemory> {
  const read = await dockerOut([
    "exec",
    container,
    "sh",
    "-c",
    "if [ -f /sys/fs/cgroup/memory.current ]; then cat /sys/fs/cgroup/memory.current /sys/fs/cgroup/memory.stat; " +
      "else cat /sys/fs/cgroup/memory/memory.usage_in_bytes /sys/fs/cgroup/memory/memory.stat; fi",
  ]);
  const [usage = "0", ...stat] = read.split("\n");
  const memoryStat = stat.join("\n");
  return {
    workingSetMib: workingSetMib(Number(usage), memoryStat),
    usageMib: Number(usage) / 2 ** 20,
    ...workingSetParts(memoryStat),
  };
}

/** "42.2 MiB (anon 39.7, active file 0.2, kernel 1.1)": a reading and its parts (kernel on cgroup v2 only). */
export function describeWorkingSet(memory: ContainerMemory): string {
  const kernel = Number.isNaN(memory.kernelMib) ? "" : `, kernel ${memory.kernelMib.toFixed(1)}`;
  return `${memory.workingSetMib.toFixed(1)} MiB (anon ${memory.anonMib.toFixed(1)}, active file ${memory.activeFileMib.toFixed(1)}${kernel})`;
}

/**
 * Where the host keeps a process's CPU usage, from its /proc/PID/cgroup: cgroup v2's cpu.stat
 * (usage_usec) or v1's cpuacct.usage (nanoseconds). Pure.
 */
export function cpuUsageFileOf(procCgroup: string): { path: string; unit: "usage_usec" | "ns" } {
  const v1 = /^\d+:[^:]*\bcpuacct\b[^:]*:(.*)$/m.exec(procCgroup);
  if (v1) return { path: `/sys/fs/cgroup/cpuacct${v1[1]}/cpuacct.usage`, unit: "ns" };
  const v2 = /^0::(.*)$/m.exec(procCgroup);
  if (v2) return { path: `/sys/fs/cgroup${v2[1] === "/" ? "" : v2[1]}/cpu.stat`, unit: "usage_usec" };
  throw new Error(`no cpu accounting cgroup in: ${procCgroup}`);
}

/**
 * CPU seconds a running container has used, read on the host from its cgroup: a `docker exec` to read
 * it inside would add its own processes' CPU to what it measures.
 */
export async function containerCpuSeconds(container: string): Promise<number> {
  const pid = await inspect(container, "{{.State.Pid}}");
  const file = cpuUsageFileOf(await readFile(`/proc/${pid.trim()}/cgroup`, "utf8"));
  const text = await readFile(file.path, "utf8");
  if (file.unit === "ns") return Number(text.trim()) / 1e9;
  return Number(/^usage_usec (\d+)$/m.exec(text)?.[1] ?? Number.NaN) / 1e6;
}
