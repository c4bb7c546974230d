import { defaultStdioMaxSessions } from "@mcpscope/sidecar/constants";

/** The sidecar itself and the health probe's own server session (measured ≈ 82 MiB for server-everything). */
export const stdioBaseMemoryMi = 128;
/** One session's server (a Node MCP server such as server-everything: ≈ 28 MiB measured) with headroom. */
export const stdioSessionMemoryMi = 32;

/**
 * How many stdio sessions a command-mode sidecar container may hold within its memory limit (in bytes;
 * undefined, the sidecar's own default, when there is no limit). The
 * server runs inside the sidecar's container, one process per session, so every session is charged
 * to the same limit: past it the kernel OOM-kills the container and every session with it, where a
 * full bridge ends the least recently used idle session or answers 503 `MCPSCOPE_BRIDGE_FULL` alone.
 * Pure.
 */
export function stdioSessionsForLimit(limitBytes: number | undefined): number | undefined {
  if (limitBytes === undefined || !Number.isFinite(limitBytes) || limitBytes <= 0) return undefined;
  const fit = Math.floor((limitBytes / 2 ** 20 - stdioBaseMemoryMi) / stdioSessionMemoryMi);
  return Math.min(defaultStdioMaxSessions, Math.max(1, fit));
}
