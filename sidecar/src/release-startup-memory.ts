import { memoryUsage } from "node:process";

export interface ReleasedStartupMemory {
  rssBefore: number;
  rssAfter: number;
}

/**
 * Gives back what starting left behind: one collection of V8's whole heap of the kind its memory reducer
 * runs, once the sidecar serves and its first upstream probe is back. What survives the scavenges of
 * startup makes V8 grow its young generation (from 1 MB to the semi-space cap), and the pages a
 * collection frees stay in V8's pool; the memory reducer, which would give both back, is off
 * (runtime-flags.ts: its collections under traffic slow the proxy). The "last-resort" flavour shrinks
 * the young generation and unmaps the pooled pages: ≈ 2 MB of RSS idle (README "The bill"). V8's
 * collector is reachable with --expose-gc (sidecarCommandLineFlags); without it nothing happens.
 */
export function releaseStartupMemory(gc = globalThis.gc): ReleasedStartupMemory | undefined {
  if (gc === undefined) return undefined;
  const rssBefore = memoryUsage.rss();
  gc({ type: "major", execution: "sync", flavor: "last-resort" });
  return { rssBefore, rssAfter: memoryUsage.rss() };
}
