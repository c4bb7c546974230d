import { type Logger, pino } from "pino";
import { SidecarErrorCode } from "./errors.js";

export type { Logger };

/** JSON lines on stdout; the level comes from config, never from the environment directly. */
export function createLogger(level: string, name = "mcpscope-sidecar"): Logger {
  return pino({
    name,
    level,
    base: { name },
    hooks: {
      // A client that leaves is normal (every stream ends that way): libraries that report the aborted
      // upstream request (reply-from's "response errored") are demoted to debug.
      logMethod(args, method, level) {
        const first = args[0] as { err?: { code?: unknown } } | undefined;
        if (level > 20 && first?.err?.code === SidecarErrorCode.clientClosed) {
          if (this.isLevelEnabled("debug")) this.debug(...(args as [object, string]));
          return;
        }
        method.apply(this, args);
      },
    },
  });
}
