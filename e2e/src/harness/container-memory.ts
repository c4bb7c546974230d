import { type WorkingSetParts, workingSetMib, workingSetParts } from "../bench/stats.js";
import { dockerOut } from "./docker.js";

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

/** CPU seconds a running container has used (cgroup v2 cpu.stat usage_usec, or v1 cpuacct.usage). */
export async function containerCpuSeconds(container: string): Promise<number> {
  const read = await dockerOut([
    "exec",
    container,
    "sh",
    "-c",
    "if [ -f /sys/fs/cgroup/cpu.stat ]; then grep '^usage_usec' /sys/fs/cgroup/cpu.stat | cut -d' ' -f2; " +
      "else echo $(( $(cat /sys/fs/cgroup/cpuacct/cpuacct.usage) / 1000 )); fi",
  ]);
  return Number(read.trim()) / 1e6;
}
