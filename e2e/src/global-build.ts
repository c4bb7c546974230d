import { execFileSync } from "node:child_process";
import { fileURLToPath } from "node:url";

const root = fileURLToPath(new URL("../../", import.meta.url));

/** Once per run of the unit tests: build the workspaces (process tests run dist/). */
export default function setup(): void {
  execFileSync("npx", ["tsc", "-b"], { cwd: root, stdio: "inherit" });
}
