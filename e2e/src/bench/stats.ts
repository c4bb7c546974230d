/** Percentile by nearest rank over a copy of the samples; undefined for none. */
export function percentile(samples: readonly number[], p: number): number {
  if (samples.length === 0) return Number.NaN;
  const sorted = [...samples].sort((a, b) => a - b);
  const rank = Math.ceil((p / 100) * sorted.length);
  return sorted[Math.min(sorted.length - 1, Math.max(0, rank - 1))] as number;
}

export function median(values: readonly number[]): number {
  return percentile(values, 50);
}

/** CPU seconds (user + system) a process has used, from /proc/PID/stat (Linux). */
export function cpuSecondsFromProcStat(stat: string, clockTicksPerSecond = 100): number {
  // Fields after the ")" that ends the command name: utime is field 14, stime field 15 (1-based).
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  const utime = Number(fields[11]);
  const stime = Number(fields[12]);
  return (utime + stime) / clockTicksPerSecond;
}

/** Resident set size in MB from /proc/PID/status. */
export function rssMbFromProcStatus(status: string): number {
  const match = /^VmRSS:\s+(\d+)\s+kB$/m.exec(status);
  return match ? Number(match[1]) / 1024 : Number.NaN;
}

/** RssAnon in MiB from /proc/PID/status: the anonymous memory a process pays alone (file pages are shared). */
export function rssAnonMibFromProcStatus(status: string): number {
  const match = /^RssAnon:\s+(\d+)\s+kB$/m.exec(status);
  return match ? Number(match[1]) / 1024 : Number.NaN;
}

/**
 * A container's working set in MiB as the kubelet counts it: memory usage less inactive file pages.
 * cgroup v2: memory.current and memory.stat's inactive_file; v1: memory.usage_in_bytes and total_inactive_file.
 */
export function workingSetMib(usageBytes: number, memoryStat: string): number {
  const inactive = /^total_inactive_file (\d+)$/m.exec(memoryStat) ?? /^inactive_file (\d+)$/m.exec(memoryStat);
  const inactiveBytes = Number(inactive?.[1] ?? 0);
  return Math.max(0, usageBytes - inactiveBytes) / 2 ** 20;
}

/** What a container's working set is made of, in MiB: a reading that moves can then be told apart. */
export interface WorkingSetParts {
  /** Anonymous memory: the processes' heaps, what no other container shares. */
  anonMib: number;
  /** Active file pages: page cache this cgroup read first (e.g. the node binary), charged to it alone. */
  activeFileMib: number;
  /** Kernel memory charged to the cgroup (sockets, page tables, slab); cgroup v2 only, else NaN. */
  kernelMib: number;
}

/** memory.stat of cgroup v2 (anon, active_file, kernel) or v1 (total_rss, total_active_file). Pure. */
export function workingSetParts(memoryStat: string): WorkingSetParts {
  const field = (...names: string[]) => {
    for (const name of names) {
      const match = new RegExp(`^${name} (\\d+)$`, "m").exec(memoryStat);
      if (match) return Number(match[1]) / 2 ** 20;
    }
    return Number.NaN;
  };
  return {
    anonMib: field("total_rss", "anon"),
    activeFileMib: field("total_active_file", "active_file"),
    kernelMib: field("kernel"),
  };
}

/** The arms rotated by one each round (two arms: alternated), so drift and warm-up hit all alike. */
export function rotated<T>(round: number, arms: readonly T[]): T[] {
  return arms.map((_, i) => arms[(i + round) % arms.length] as T);
}
