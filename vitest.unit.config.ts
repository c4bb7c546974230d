import { defineConfig, mergeConfig } from "vitest/config";
import base from "./vitest.config.js";

// `npm run test:unit`: the sidecar's and the operator's own tests (real MCP peers, no Kubernetes, no
// collector), without building the control plane. `npm test` runs everything.
export default mergeConfig(
  base,
  defineConfig({
    test: {
      globalSetup: ["./e2e/src/global-build.ts"],
      include: ["sidecar/src/**/*.test.ts", "operator/src/**/*.test.ts"],
    },
  }),
);
