/**
 * Node flags the sidecar is meant to run with (images, the operator's pod spec, the demo and the
 * benchmark all pass them). V8 grows the young generation under proxy load to well over 100 MB of
 * RSS; capped at 2 MB semi-spaces the sidecar measured lower RSS at equal or better throughput.
 */
export const sidecarNodeFlags: readonly string[] = ["--max-semi-space-size=2"];

/** The uid and gid the images run as (their numeric USER), set as runAsUser wherever a pod spec is built. */
export const sidecarImageUid = 1000;
