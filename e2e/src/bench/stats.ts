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

/** The arms rotated by one each round (two arms: alternated), so drift and warm-up hit all alike. */
export function rotated<T>(round: number, arms: readonly T[]): T[] {
  return arms.map((_, i) => arms[(i + round) % arms.length] as T);
}
