/** Node flags the operator image runs with; see sidecar/src/runtime-flags.ts for why (young-generation RSS). */
export const operatorNodeFlags: readonly string[] = ["--max-semi-space-size=2"];
