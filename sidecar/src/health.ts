import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { SSEClientTransport } from "@modelcontextprotocol/sdk/client/sse.js";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import type { Transport } from "@modelcontextprotocol/sdk/shared/transport.js";

export interface UpstreamHealthReport {
  status: "ok" | "unavailable";
  upstream: {
    url: string;
    reachable: boolean;
    latencyMs: number;
    checkedAt: string;
    error?: string;
  };
}

export interface UpstreamHealthOptions {
  /** The upstream MCP endpoint (base URL + MCP path). */
  endpoint: URL;
  /** What the report calls the endpoint (credentials removed). */
  label: string;
  transport: "streamable-http" | "sse";
  timeoutMs: number;
  cacheMs: number;
  clientVersion: string;
}

/** Joins the MCP path onto the upstream's base URL, keeping any path the base carries. */
export function upstreamEndpoint(baseUrl: string, mcpPath: string): URL {
  const base = new URL(baseUrl);
  base.pathname = `${base.pathname.replace(/\/+$/, "")}${mcpPath}`;
  return base;
}

/**
 * Health of the upstream from a real MCP `ping`. One client session is kept open between checks
 * (servers that need a session get one `initialize`, not one per probe); any failure drops it so
 * the next check starts afresh. Results are cached for cacheMs and concurrent checks share one ping.
 */
export class UpstreamHealth {
  readonly #options: UpstreamHealthOptions;
  #client: Client | undefined;
  #last: { report: UpstreamHealthReport; at: number } | undefined;
  #inFlight: Promise<UpstreamHealthReport> | undefined;

  constructor(options: UpstreamHealthOptions) {
    this.#options = options;
  }

  check(): Promise<UpstreamHealthReport> {
    const now = performance.now();
    if (this.#last && now - this.#last.at < this.#options.cacheMs) return Promise.resolve(this.#last.report);
    this.#inFlight ??= this.#probe().finally(() => {
      this.#inFlight = undefined;
    });
    return this.#inFlight;
  }

  /** The latest report, if any check ran yet. */
  get lastReport(): UpstreamHealthReport | undefined {
    return this.#last?.report;
  }

  async close(): Promise<void> {
    const client = this.#client;
    this.#client = undefined;
    await closeQuietly(client);
  }

  async #probe(): Promise<UpstreamHealthReport> {
    const started = performance.now();
    const { timeoutMs } = this.#options;
    let error: string | undefined;
    try {
      if (!this.#client) {
        const client = new Client({
          name: "mcpscope-health",
          version: this.#options.clientVersion,
        });
        await withTimeout(client.connect(this.#newTransport(), { timeout: timeoutMs }), timeoutMs);
        this.#client = client;
      }
      await this.#client.ping({ timeout: timeoutMs });
    } catch (cause) {
      error = cause instanceof Error ? cause.message : String(cause);
      const client = this.#client;
      this.#client = undefined;
      void closeQuietly(client);
    }
    const report: UpstreamHealthReport = {
      status: error === undefined ? "ok" : "unavailable",
      upstream: {
        url: this.#options.label,
        reachable: error === undefined,
        latencyMs: Math.round((performance.now() - started) * 100) / 100,
        checkedAt: new Date().toISOString(),
        ...(error === undefined ? {} : { error }),
      },
    };
    this.#last = { report, at: performance.now() };
    return report;
  }

  #newTransport(): Transport {
    const { endpoint, transport } = this.#options;
    return transport === "sse" ? new SSEClientTransport(endpoint) : new StreamableHTTPClientTransport(endpoint);
  }
}

async function closeQuietly(client: Client | undefined): Promise<void> {
  try {
    await client?.close();
  } catch {
    // The upstream is already gone; nothing to release.
  }
}

/** connect() has no overall deadline of its own when the TCP connection hangs. */
function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer within ${ms} ms`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}
