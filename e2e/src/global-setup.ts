import { execFileSync } from "node:child_process";
import { fileURLToPath } from "node:url";
import type { TestProject } from "vitest/node";
import { setupTools, type ToolPaths } from "./harness/tools.js";

const root = fileURLToPath(new URL("../../", import.meta.url));

declare module "vitest" {
  export interface ProvidedContext {
    tools: ToolPaths;
  }
}

/** Once per run: build the workspaces (process tests run dist/) and install or build the real tools. */
export default function setup(project: TestProject): void {
  execFileSync("npx", ["tsc", "-b"], { cwd: root, stdio: "inherit" });
  project.provide("tools", setupTools());
}
