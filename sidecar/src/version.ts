/**
 * The release of mcpscope: the sidecar's and the operator's version, and the tag of the sidecar image
 * the operator injects unless configured. The one place it is written (version.test.ts checks that the
 * package.json files and the chart's appVersion agree).
 */
export const mcpscopeVersion = "0.1.0";
