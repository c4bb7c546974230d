/**
 * Node flags the sidecar is meant to run with (images, the operator's pod spec, the demo and the
 * benchmark all pass them). V8 grows the young generation under proxy load to well over 100 MB of
 * RSS, so it is capped. At 2 MB semi-spaces, under 1,000 req/s on two busy cores, a scavenge ran
 * every ≈ 30 ms and a quarter of what the sidecar allocated lived past two of them (promoted to the
 * old generation): its collections' pauses alone took more CPU than the observing did. 4 MB: −17 %
 * CPU at that load (bench:footprint, 0.840 → 0.693 core), RSS idle unchanged (README "The bill").
 * V8 rounds a semi-space's capacity up to a power of two: 3 (this flag until 2026-12) ran as 4.
 */
export const sidecarNodeFlags: readonly string[] = ["--max-semi-space-size=4"];

/**
 * Flags for the sidecar's own command line: the image's ENTRYPOINT is `node ...sidecarNodeFlags
 * ...sidecarCommandLineFlags main.js`. Node refuses the first two in NODE_OPTIONS ("not allowed in
 * NODE_OPTIONS"); the third is kept out of it so that a stdio MCP server, which inherits the
 * environment, does not get it.
 * --memory-saver-mode: V8 sizes and collects its heap as if memory were short. In `npm run
 * bench:footprint`: −3 MiB RssAnon idle, −11 to −16 MiB after 20 s at 1,000 req/s, for ≈ 5 % more CPU
 * under that load on a quiet machine, 17–30 % on a busy one (README "The bill"; no setting drops it yet).
 * --no-memory-reducer: in saver mode V8's memory reducer collects under traffic too (it takes the
 * process for a background tab), and its collections clear the objects optimized code was built on;
 * the code is rebuilt, and the process runs ≈ 200 µs slower per request for the next 20–40 s (README
 * "Where the added p50 goes"). Without it: no such slowdown, the same RSS idle and loaded, but a burst's
 * heap is kept until the next collection instead of returned ≈ 10 s after (≈ +11 MB RSS 15 s after a
 * burst, within the loaded figure).
 * --expose-gc: the sidecar runs the collection the reducer would have run after startup, once
 * (release-startup-memory.ts: ≈ 2 MB of RSS idle).
 */
export const sidecarCommandLineFlags: readonly string[] = ["--memory-saver-mode", "--no-memory-reducer", "--expose-gc"];

/**
 * The share of a container's memory limit given to V8's old space. The rest holds what is not heap
 * (the node binary's pages, the young generation, code, buffers: about 60 MiB under load). V8 sizes
 * its heap by itself only loosely to the limit and lets old space grow far past what is live before
 * collecting, so without a cap a busy sidecar's heap drifts toward the limit (README "The bill").
 */
export const oldSpaceShareOfLimit = 0.5;
/** Below this the sidecar's own live heap (about 20 MB idle) would not fit. */
export const minOldSpaceMb = 32;

/**
 * The flags for a sidecar container whose memory limit is limitBytes: sidecarNodeFlags and, when the
 * limit is known, --max-old-space-size at oldSpaceShareOfLimit of it. Pure.
 */
export function sidecarNodeFlagsForLimit(limitBytes: number | undefined): string[] {
  if (limitBytes === undefined || !Number.isFinite(limitBytes) || limitBytes <= 0) return [...sidecarNodeFlags];
  const oldSpaceMb = Math.max(minOldSpaceMb, Math.floor((limitBytes / 2 ** 20) * oldSpaceShareOfLimit));
  return [...sidecarNodeFlags, `--max-old-space-size=${oldSpaceMb}`];
}

/** The uid and gid the images run as (their numeric USER), set as runAsUser wherever a pod spec is built. */
export const sidecarImageUid = 1000;
