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

/** The USER of a Dockerfile's last stage ("" when it sets none, i.e. root). Pure. */
export function userOf(dockerfile: string): string {
  const lastStage = dockerfile.slice(dockerfile.lastIndexOf("\nFROM "));
  const users = [...lastStage.matchAll(/^USER\s+(\S+)\s*$/gm)].map((m) => m[1] ?? "");
  return users.at(-1) ?? "";
}

interface SecurityContextLike {
  runAsNonRoot?: boolean | undefined;
  runAsUser?: number | undefined;
}

/**
 * Whether the kubelet will start a container under runAsNonRoot, as its verifyRunAsNonRoot decides:
 * the effective runAsUser (container over pod) must be non-zero, or else the image's USER must be a
 * numeric non-zero uid — a user *name* cannot be verified and the container is refused. Pure.
 * Returns the kubelet's refusal message, or undefined when the container starts.
 */
export function runAsNonRootRefusal(
  pod: SecurityContextLike | undefined,
  container: SecurityContextLike | undefined,
  imageUser: string,
): string | undefined {
  const runAsNonRoot = container?.runAsNonRoot ?? pod?.runAsNonRoot;
  if (runAsNonRoot !== true) return undefined;
  const runAsUser = container?.runAsUser ?? pod?.runAsUser;
  if (runAsUser !== undefined) return runAsUser === 0 ? "container's runAsUser breaks non-root policy" : undefined;
  const user = imageUser.split(":")[0] ?? "";
  if (user === "" || user === "0" || user === "root") return "container has runAsNonRoot and image will run as root";
  if (!/^\d+$/.test(user))
    return `container has runAsNonRoot and image has non-numeric user (${user}), cannot verify user is non-root`;
  return undefined;
}
