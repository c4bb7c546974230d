import { fileURLToPath } from "node:url";
import { defineConfig } from "vitest/config";

const src = (path: string) => fileURLToPath(new URL(path, import.meta.url));

/**
 * Two projects with their own files and global set-up (projects, not `mergeConfig`, which would
 * concatenate the include and globalSetup arrays): `unit` is the sidecar's and the operator's tests
 * (real MCP peers, no tool built, no Docker), `e2e` the end-to-end tests on the real tools.
 * `npx vitest run` runs both; `npm run test:unit` is `--project unit`.
 */
export default defineConfig({
  resolve: {
    // Tests run the TypeScript sources of sibling workspaces, not their build output.
    alias: [
      { find: /^@mcpscope\/sidecar\/testing$/, replacement: src("./sidecar/src/testing/index.ts") },
      { find: /^@mcpscope\/sidecar\/constants$/, replacement: src("./sidecar/src/constants.ts") },
      { find: /^@mcpscope\/sidecar\/telemetry$/, replacement: src("./sidecar/src/telemetry/index.ts") },
      { find: /^@mcpscope\/sidecar$/, replacement: src("./sidecar/src/index.ts") },
      { find: /^@mcpscope\/operator\/certs$/, replacement: src("./operator/src/certs/x509.ts") },
      { find: /^@mcpscope\/operator\/webhook$/, replacement: src("./operator/src/webhook/index.ts") },
      {
        find: /^@mcpscope\/operator\/webhook-certificate$/,
        replacement: src("./operator/src/certs/webhook-certificate.ts"),
      },
      { find: /^@mcpscope\/operator$/, replacement: src("./operator/src/index.ts") },
    ],
  },
  test: {
    testTimeout: 30_000,
    hookTimeout: 60_000,
    pool: "forks",
    // Two cores: real servers per test file; more parallel files only add contention.
    maxWorkers: 2,
    projects: [
      {
        extends: true,
        test: {
          name: "unit",
          include: ["sidecar/src/**/*.test.ts", "operator/src/**/*.test.ts"],
          // Builds the workspaces only (process tests run dist/).
          globalSetup: ["./e2e/src/global-build.ts"],
        },
      },
      {
        extends: true,
        test: {
          name: "e2e",
          include: ["e2e/src/**/*.test.ts"],
          // Builds the workspaces, installs or builds the tools, starts Docker, builds the base images.
          globalSetup: ["./e2e/src/global-setup.ts"],
        },
      },
    ],
  },
});
