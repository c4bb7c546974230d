/**
 * The sidecar's own error registry: stable codes a user or a log query can match on.
 * JSON-RPC wire codes sent to clients live in proxy/upstream-error.ts, apart from these.
 */
export const SidecarErrorCode = {
  config: "MCPSCOPE_CONFIG",
  upstreamUnreachable: "MCPSCOPE_UPSTREAM_UNREACHABLE",
  upstreamTimeout: "MCPSCOPE_UPSTREAM_TIMEOUT",
  bodyTooLarge: "MCPSCOPE_BODY_TOO_LARGE",
  stdioSpawn: "MCPSCOPE_STDIO_SPAWN",
} as const;

export type SidecarErrorCode = (typeof SidecarErrorCode)[keyof typeof SidecarErrorCode];

export class SidecarError extends Error {
  readonly code: SidecarErrorCode;
  constructor(code: SidecarErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = "SidecarError";
    this.code = code;
  }
}

/** Start-up refused: each entry of `problems` names one variable and what is wrong with it. */
export class ConfigError extends SidecarError {
  readonly problems: readonly string[];
  constructor(problems: readonly string[]) {
    super(SidecarErrorCode.config, problems.map((p) => `ConfigError: ${p}`).join("\n"));
    this.name = "ConfigError";
    this.problems = problems;
  }
}
