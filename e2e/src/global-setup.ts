import { execFileSync } from "node:child_process";
import { fileURLToPath } from "node:url";
import type { TestProject } from "vitest/node";
import { dockerWithBaseImages } from "./harness/docker.js";
import { setupTools, type ToolPaths } from "./harness/tools.js";

const root = fileURLToPath(new URL("../../", import.meta.url));

declare module "vitest" {
  export interface ProvidedContext {
    tools: ToolPaths;
  }
}

/**
 * Once per run: build the workspaces (process tests run dist/; the local cluster runs the images'
 * entrypoints, the bundles), install or build the real tools,
 * start the Docker engine (stopped again at the end if this run started it) and build the local
 * stand-in base images the image and compose tests build on.
 */
export default function setup(project: TestProject): () => void {
  execFileSync("npx", ["tsc", "-b"], { cwd: root, stdio: "inherit" });
  execFileSync(process.execPath, ["scripts/bundle.mjs", "sidecar", "operator"], { cwd: root, stdio: "inherit" });
  const tools = setupTools();
  const stopEngine = dockerWithBaseImages(tools);
  project.provide("tools", tools);
  return stopEngine;
}
