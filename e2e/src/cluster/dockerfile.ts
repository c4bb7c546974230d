import { readFileSync } from "node:fs";

/** The exec-form ENTRYPOINT of a Dockerfile's last stage. Pure. */
export function entrypointOf(dockerfile: string): string[] {
  const lastStage = dockerfile.slice(dockerfile.lastIndexOf("\nFROM "));
  const line = /^ENTRYPOINT (\[.*\])\s*$/m.exec(lastStage)?.[1];
  if (!line) throw new Error("no exec-form ENTRYPOINT in the last stage");
  return JSON.parse(line) as string[];
}

/** Reads the ENTRYPOINT of a Dockerfile on disk (paths in it are relative to the image's /app). */
export function readEntrypoint(path: string): string[] {
  return entrypointOf(readFileSync(path, "utf8"));
}
