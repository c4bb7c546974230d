/** Wall-clock timings of the e2e run's phases, for the report printed at the end. */
export class PhaseTimer {
  readonly #phases: Array<{ name: string; ms: number }> = [];

  async time<T>(name: string, work: () => Promise<T>): Promise<T> {
    const start = performance.now();
    try {
      return await work();
    } finally {
      this.#phases.push({ name, ms: performance.now() - start });
    }
  }

  get phases(): ReadonlyArray<{ name: string; ms: number }> {
    return this.#phases;
  }
}

/** The report: components with versions, then phases with timings. Pure. */
export function formatReport(
  title: string,
  components: Record<string, string>,
  phases: ReadonlyArray<{ name: string; ms: number }>,
): string {
  const width = Math.max(...[...Object.keys(components), ...phases.map((p) => p.name)].map((s) => s.length), 10);
  const lines = [`── ${title} ──`, "components:"];
  for (const [name, version] of Object.entries(components)) lines.push(`  ${name.padEnd(width)}  ${version}`);
  lines.push("phases:");
  for (const phase of phases)
    lines.push(`  ${phase.name.padEnd(width)}  ${(phase.ms / 1000).toFixed(1).padStart(6)} s`);
  const total = phases.reduce((sum, p) => sum + p.ms, 0);
  lines.push(`  ${"total".padEnd(width)}  ${(total / 1000).toFixed(1).padStart(6)} s`);
  return lines.join("\n");
}
