import { execFileSync } from "node:child_process";
import { fileURLToPath } from "node:url";

const root = fileURLToPath(new URL("../../", import.meta.url));

/** Once per run of the unit tests: build the workspaces (process tests run dist/ and the images' bundles). */
export default function setup(): void {
  execFileSync("npx", ["tsc", "-b"], { cwd: root, stdio: "inherit" });
  execFileSync(process.execPath, ["scripts/bundle.mjs", "sidecar", "operator"], { cwd: root, stdio: "inherit" });
}
