/**
 * How many rounds of a repeated case a test runs: the whole number in `npm test`, fewer in the quick
 * loop, `npm run test:unit`, which sets MCPSCOPE_TEST_SCALE=quick. Only for cases whose every round
 * checks the fault on its own (a leak shows after one batch), so fewer rounds find it too.
 */
export function scaled(full: number, quick: number, env: NodeJS.ProcessEnv = process.env): number {
  return env.MCPSCOPE_TEST_SCALE === "quick" ? quick : full;
}
