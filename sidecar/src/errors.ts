/**
 * The sidecar's own error registry: stable codes a user or a log query can match on. Every answer
 * the sidecar writes itself carries one in its JSON-RPC `error.data.code`, and its log lines in
 * `code`; README.md documents each (errors.test.ts checks). JSON-RPC wire codes are apart, in
 * mcp/error-codes.ts.
 */
export const SidecarErrorCode = {
  config: "MCPSCOPE_CONFIG",
  upstreamUnreachable: "MCPSCOPE_UPSTREAM_UNREACHABLE",
  upstreamTimeout: "MCPSCOPE_UPSTREAM_TIMEOUT",
  bodyTooLarge: "MCPSCOPE_BODY_TOO_LARGE",
  badRequest: "MCPSCOPE_BAD_REQUEST",
  requestTimeout: "MCPSCOPE_REQUEST_TIMEOUT",
  notFound: "MCPSCOPE_NOT_FOUND",
  internal: "MCPSCOPE_INTERNAL",
  stdioSpawn: "MCPSCOPE_STDIO_SPAWN",
  stdioExited: "MCPSCOPE_STDIO_EXITED",
  bridgeFull: "MCPSCOPE_BRIDGE_FULL",
  /** The session's replica is gone (deleted, scaled down): the client starts a new session. */
  replicaGone: "MCPSCOPE_REPLICA_GONE",
  /** Not an answer (nobody is left to answer): the code an abandoned upstream request is aborted with. */
  clientClosed: "MCPSCOPE_CLIENT_CLOSED",
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
