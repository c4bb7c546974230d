import { readFile } from "node:fs/promises";
import { fileURLToPath } from "node:url";

/** What sidecar/Dockerfile's last stage runs: the Node flags of its ENTRYPOINT and its ENV settings. */
export interface ImageRuntime {
  /** ENV NAME=VALUE lines of the runtime stage, NODE_ENV aside (the benches set it themselves). */
  env: Record<string, string>;
  /** The ENTRYPOINT's Node flags, which come after NODE_OPTIONS as on a command line. */
  flags: string[];
}

/** Reads the runtime stage of a Dockerfile's text (everything after its last FROM). Pure. */
export function imageRuntimeOf(dockerfile: string): ImageRuntime {
  const runtime = dockerfile.slice(dockerfile.lastIndexOf("\nFROM "));
  const settings = [...runtime.matchAll(/^ENV (\w+)=(\S+)$/gm)].filter((m) => m[1] !== "NODE_ENV");
  const entrypoint = JSON.parse(/^ENTRYPOINT (.+)$/m.exec(runtime)?.[1] ?? "[]") as string[];
  return {
    env: Object.fromEntries(settings.map((m) => [m[1] as string, m[2] as string])),
    flags: entrypoint.filter((word) => word.startsWith("--")),
  };
}

/** sidecar/Dockerfile's runtime, read rather than retyped, so the benches run what the image runs. */
export async function sidecarImageRuntime(): Promise<ImageRuntime> {
  return imageRuntimeOf(await readFile(fileURLToPath(new URL("../../../sidecar/Dockerfile", import.meta.url)), "utf8"));
}
