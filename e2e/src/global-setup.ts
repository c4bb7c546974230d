import { execFileSync } from "node:child_process";
import { fileURLToPath } from "node:url";
import type { TestProject } from "vitest/node";

const root = fileURLToPath(new URL("../../", import.meta.url));

/** Tool paths that e2e/tools/setup.sh reports, handed to test files through inject(). */
export interface ToolPaths {
  OTELCOL: string;
  PROMETHEUS: string;
  PROMTOOL: string;
  KUBE_APISERVER: string;
  KUBE_CONTROLLER_MANAGER: string;
  ETCD: string;
  KUBECTL: string;
}

declare module "vitest" {
  export interface ProvidedContext {
    tools: ToolPaths;
  }
}

/** Once per run: build the workspaces (process tests run dist/) and install or build the real tools. */
export default function setup(project: TestProject): void {
  execFileSync("npx", ["tsc", "-b"], { cwd: root, stdio: "inherit" });
  const output = execFileSync("bash", ["e2e/tools/setup.sh"], {
    cwd: root,
    stdio: ["ignore", "pipe", "inherit"],
  }).toString();
  const tools = Object.fromEntries(
    output
      .split("\n")
      .filter((line) => /^[A-Z_]+=/.test(line))
      .map((line) => [line.slice(0, line.indexOf("=")), line.slice(line.indexOf("=") + 1)]),
  ) as unknown as ToolPaths;
  project.provide("tools", tools);
}
