import { type Dispatcher, Pool } from "undici";
import { healthProbeHeader } from "../contract.js";

/**
 * @fastify/reply-from gives undici no AbortSignal, so a request whose client is gone stays open
 * upstream until the upstream ends it (never, for an SSE stream) and the pool fills up. The proxy
 * hands each request's signal along under this symbol key in its headers (copied by reply-from,
 * never serialised: it is taken out here) and the pool aborts the upstream request with it.
 */
export const upstreamSignal = Symbol("mcpscope.upstreamSignal");

/**
 * Hop-by-hop request headers (RFC 9110 §7.6.1) that undici refuses outright, so forwarding them
 * turned a valid exchange into a 502. A proxy consumes them: Node has already answered
 * `Expect: 100-continue` and holds the whole body, and keep-alive/upgrade concern this hop only.
 */
const hopByHopHeaders = ["expect", "keep-alive", "upgrade", "proxy-connection", healthProbeHeader];

export interface UpstreamPoolOptions {
  connections: number;
  headersTimeoutMs: number;
  connectTimeoutMs: number;
}

export interface UpstreamPool {
  /** What reply-from calls: any object with request() is used as its undici instance. */
  request(
    options: Dispatcher.RequestOptions<null>,
    callback: (error: Error | null, data: Dispatcher.ResponseData<null>) => void,
  ): void;
  destroy(): Promise<void>;
}

/** One undici Pool to the upstream whose requests follow their client's AbortSignal. */
export function createUpstreamPool(origin: string, options: UpstreamPoolOptions): UpstreamPool {
  const pool = new Pool(origin, {
    connections: options.connections,
    pipelining: 1,
    headersTimeout: options.headersTimeoutMs,
    // 0: an idle SSE stream is normal in MCP and must never be cut by undici's 300 s default.
    bodyTimeout: 0,
    connect: { timeout: options.connectTimeoutMs },
  });
  return {
    request(requestOptions, callback) {
      const headers = { ...(requestOptions.headers as Record<string | symbol, unknown>) };
      const signal = headers[upstreamSignal] as AbortSignal | undefined;
      delete headers[upstreamSignal];
      for (const name of hopByHopHeaders) delete headers[name];
      pool.request(
        { ...requestOptions, headers: headers as Record<string, string>, ...(signal ? { signal } : {}) },
        callback,
      );
    },
    destroy: () => pool.destroy(),
  };
}
