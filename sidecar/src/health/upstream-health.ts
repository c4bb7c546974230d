import { healthProbeHeader, type UpstreamTransport } from "../contract.js";
import { LegacySseProbe } from "./legacy-sse-probe.js";
import type { ProbeResult } from "./probe-messages.js";
import { StreamableHttpProbe } from "./streamable-http-probe.js";

export interface UpstreamHealthReport {
  /** degraded: the upstream answers but the sidecar cannot take new clients (a full stdio bridge). */
  status: "ok" | "degraded" | "unavailable";
  upstream: {
    url: string;
    reachable: boolean;
    latencyMs: number;
    checkedAt: string;
    /** How the upstream was asked: server/discover (2026-07-28), initialize+ping or ping (a kept session). */
    probe?: ProbeResult["probe"];
    /** The protocol revisions the upstream speaks (discover's list, or the one negotiated). */
    protocolVersions?: string[];
    error?: string;
  };
  bridge?: BridgeLoad;
}

/** Command mode: sessions open, those busy (a request or stream open), and the slots there are. */
export interface BridgeLoad {
  sessions: number;
  busy: number;
  maxSessions: number;
}

export interface UpstreamHealthOptions {
  /** The upstream MCP endpoint (base URL + MCP path). */
  endpoint: URL;
  /** What the report calls the endpoint (credentials removed). */
  label: string;
  transport: UpstreamTransport;
  timeoutMs: number;
  cacheMs: number;
  clientVersion: string;
  /** Command mode: how full the stdio bridge is. */
  bridge?: () => BridgeLoad;
}

/** Joins the MCP path onto the upstream's base URL, keeping any path the base carries. */
export function upstreamEndpoint(baseUrl: string, mcpPath: string): URL {
  const base = new URL(baseUrl);
  base.pathname = `${base.pathname.replace(/\/+$/, "")}${mcpPath}`;
  return base;
}

/**
 * Health of the upstream from a real MCP exchange. Results are cached for cacheMs and concurrent
 * checks share one probe.
 */
export class UpstreamHealth {
  readonly #options: UpstreamHealthOptions;
  readonly #probe: StreamableHttpProbe | LegacySseProbe;
  #last: { report: UpstreamHealthReport; at: number } | undefined;
  #inFlight: Promise<UpstreamHealthReport> | undefined;

  constructor(options: UpstreamHealthOptions) {
    this.#options = options;
    this.#probe =
      options.transport === "sse"
        ? new LegacySseProbe(options.endpoint, options.clientVersion)
        : new StreamableHttpProbe(
            options.endpoint,
            options.clientVersion,
            options.bridge ? { [healthProbeHeader]: "1" } : {},
          );
  }

  check(): Promise<UpstreamHealthReport> {
    const now = performance.now();
    if (this.#last && now - this.#last.at < this.#options.cacheMs)
      return Promise.resolve(this.#withBridge(this.#last.report));
    this.#inFlight ??= this.#run().finally(() => {
      this.#inFlight = undefined;
    });
    return this.#inFlight;
  }

  /** The latest report, if any check ran yet. */
  get lastReport(): UpstreamHealthReport | undefined {
    return this.#last?.report;
  }

  async close(): Promise<void> {
    await this.#probe.close();
  }

  async #run(): Promise<UpstreamHealthReport> {
    const started = performance.now();
    const { timeoutMs } = this.#options;
    let result: ProbeResult | undefined;
    let error: string | undefined;
    try {
      const signal = AbortSignal.timeout(timeoutMs);
      result = await this.#probe.probe(signal, timeoutMs);
    } catch (cause) {
      error = describeError(cause, timeoutMs);
    }
    const report: UpstreamHealthReport = {
      status: error === undefined ? "ok" : "unavailable",
      upstream: {
        url: this.#options.label,
        reachable: error === undefined,
        latencyMs: Math.round((performance.now() - started) * 100) / 100,
        checkedAt: new Date().toISOString(),
        ...(result ? { probe: result.probe, protocolVersions: result.protocolVersions } : {}),
        ...(error === undefined ? {} : { error }),
      },
    };
    this.#last = { report, at: performance.now() };
    return this.#withBridge(report);
  }

  #withBridge(report: UpstreamHealthReport): UpstreamHealthReport {
    const bridge = this.#options.bridge?.();
    if (!bridge) return report;
    // Idle sessions give way to new clients; only when every slot is busy is a new client refused.
    const full = bridge.busy >= bridge.maxSessions;
    return { ...report, status: report.status === "ok" && full ? "degraded" : report.status, bridge };
  }
}

function describeError(cause: unknown, timeoutMs: number): string {
  if (cause instanceof Error && (cause.name === "TimeoutError" || cause.name === "AbortError"))
    return `no answer within ${timeoutMs} ms`;
  const code = (cause as { code?: unknown } | undefined)?.code;
  const message = cause instanceof Error ? cause.message : String(cause);
  return typeof code === "string" && !message.includes(code) ? `${message} (${code})` : message;
}
