import { readFile } from "node:fs/promises";
import { type WorkingSetParts, workingSetMib, workingSetParts } from "../bench/stats.js";
import { inspect } from "./docker.js";

export interface ContainerMemory extends WorkingSetParts {
  /** Usage less inactive file pages, as the kubelet counts it against the limit (MiB). */
  workingSetMib: number;
  /** The cgroup's whole usage, file pages included (MiB). */
  usageMib: number;
}

/** The host's files for a cgroup's memory usage and statistics, and its CPU usage. */
export interface CgroupFiles {
  memoryUsage: string;
  memoryStat: string;
  cpuUsage: { path: string; unit: "usage_usec" | "ns" };
}

/**
 * Where the host keeps a process's memory and CPU accounting, from its /proc/PID/cgroup: under cgroup
 * v1 one folder per controller (memory.usage_in_bytes, cpuacct.usage in nanoseconds), under v2 one
 * folder for all (memory.current, cpu.stat's usage_usec). Pure.
 */
export function cgroupFilesOf(procCgroup: string): CgroupFiles {
  const v1 = (controller: string) => new RegExp(`^\\d+:[^:]*\\b${controller}\\b[^:]*:(.*)$`, "m").exec(procCgroup)?.[1];
  const memory = v1("memory");
  const cpuacct = v1("cpuacct");
  if (memory !== undefined && cpuacct !== undefined) {
    return {
      memoryUsage: `/sys/fs/cgroup/memory${memory}/memory.usage_in_bytes`,
      memoryStat: `/sys/fs/cgroup/memory${memory}/memory.stat`,
      cpuUsage: { path: `/sys/fs/cgroup/cpuacct${cpuacct}/cpuacct.usage`, unit: "ns" },
    };
  }
  const v2 = /^0::(.*)$/m.exec(procCgroup)?.[1];
  if (v2 === undefined) throw new Error(`no memory and cpu accounting cgroups in: ${procCgroup}`);
  const dir = `/sys/fs/cgroup${v2 === "/" ? "" : v2}`;
  return {
    memoryUsage: `${dir}/memory.current`,
    memoryStat: `${dir}/memory.stat`,
    cpuUsage: { path: `${dir}/cpu.stat`, unit: "usage_usec" },
  };
}

/**
 * A running container's cgroup files, found on the host from its main process: read there, not through
 * a `docker exec`, whose own processes would be counted in what they read.
 */
async function cgroupFilesOfContainer(container: string): Promise<CgroupFiles> {
  const pid = (await inspect(container, "{{.State.Pid}}")).trim();
  return cgroupFilesOf(await readFile(`/proc/${pid}/cgroup`, "utf8"));
}

/** A running container's memory from its own cgroup (v1 or v2, whichever the engine gives it). */
export async function containerMemory(container: string): Promise<ContainerMemory> {
  const files = await cgroupFilesOfContainer(container);
  const [usage, memoryStat] = await Promise.all([
    readFile(files.memoryUsage, "utf8"),
    readFile(files.memoryStat, "utf8"),
  ]);
  const usageBytes = Number(usage.trim());
  return {
    workingSetMib: workingSetMib(usageBytes, memoryStat),
    usageMib: usageBytes / 2 ** 20,
    ...workingSetParts(memoryStat),
  };
}

/** "42.2 MiB (anon 39.7, active file 0.2, kernel 1.1)": a reading and its parts (kernel on cgroup v2 only). */
export function describeWorkingSet(memory: ContainerMemory): string {
  const kernel = Number.isNaN(memory.kernelMib) ? "" : `, kernel ${memory.kernelMib.toFixed(1)}`;
  return `${memory.workingSetMib.toFixed(1)} MiB (anon ${memory.anonMib.toFixed(1)}, active file ${memory.activeFileMib.toFixed(1)}${kernel})`;
}

/** CPU seconds a running container has used. */
export async function containerCpuSeconds(container: string): Promise<number> {
  const { cpuUsage } = await cgroupFilesOfContainer(container);
  const text = await readFile(cpuUsage.path, "utf8");
  if (cpuUsage.unit === "ns") return Number(text.trim()) / 1e9;
  return Number(/^usage_usec (\d+)$/m.exec(text)?.[1] ?? Number.NaN) / 1e6;
}
