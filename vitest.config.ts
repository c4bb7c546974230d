import { fileURLToPath } from "node:url";
import { defineConfig } from "vitest/config";

const src = (path: string) => fileURLToPath(new URL(path, import.meta.url));

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
    globalSetup: ["./e2e/src/global-setup.ts"],
    include: ["sidecar/src/**/*.test.ts", "operator/src/**/*.test.ts", "e2e/src/**/*.test.ts"],
    testTimeout: 30_000,
    hookTimeout: 60_000,
    pool: "forks",
    // Two cores: real servers per test file; more parallel files only add contention.
    maxWorkers: 2,
  },
});
