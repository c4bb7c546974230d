import { type Logger, pino } from "pino";

export type { Logger };

/** JSON lines on stdout; the level comes from config, never from the environment directly. */
export function createLogger(level: string, name = "mcpscope-sidecar"): Logger {
  return pino({ name, level, base: { name } });
}
