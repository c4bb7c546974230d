import { Agent, type Dispatcher, Pool } from "undici";
import { healthProbeHeader, replicaHopHeader } from "../contract.js";
import type { CancelSignal } from "./reply-lifetime.js";

/**
 * @fastify/reply-from gives undici no signal, so a request whose client is gone stays open
 * upstream until the upstream ends it (never, for an SSE stream) and the pool fills up. The proxy
 * hands each request's signal along under this symbol key in its headers (copied by reply-from,
 * never serialised: it is taken out here) and the pool aborts the upstream request with it.
 */
export const upstreamSignal = Symbol("mcpscope.upstreamSignal");

/**
 * Under this symbol key the proxy names another replica's sidecar (`http://<pod IP>:<port>`) to send
 * a request to instead of the upstream; the request then carries the hop header, and only that.
 */
export const peerOrigin = Symbol("mcpscope.peerOrigin");

/**
 * Hop-by-hop request headers (RFC 9110 §7.6.1) that undici refuses outright, so forwarding them
 * turned a valid exchange into a 502. A proxy consumes them: Node has already answered
 * `Expect: 100-continue` and holds the whole body, and keep-alive/upgrade concern this hop only.
 */
const hopByHopHeaders = ["expect", "keep-alive", "upgrade", "proxy-connection", healthProbeHeader, replicaHopHeader];

export interface UpstreamPoolOptions {
  connections: number;
  headersTimeoutMs: number;
  connectTimeoutMs: number;
  /** Connect time-out to another replica's sidecar: one that does not answer is taken as gone. */
  peerConnectTimeoutMs?: number;
  /** This replica's IP, sent in the hop header of requests forwarded to peers. */
  selfIp?: string;
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
  // Peers: created on first use (only replicated sidecars forward), one connection pool per peer.
  let peers: Agent | undefined;
  return {
    request(requestOptions, callback) {
      // reply-from builds these options and a copy of their headers for every attempt: they are ours to
      // change. Symbol keys and undefined values are never sent by undici.
      const headers = requestOptions.headers as Record<string | symbol, unknown>;
      const signal = headers[upstreamSignal] as CancelSignal | undefined;
      const peer = headers[peerOrigin] as string | undefined;
      for (const name of hopByHopHeaders) if (headers[name] !== undefined) headers[name] = undefined;
      if (signal) requestOptions.signal = signal;
      if (peer === undefined) {
        pool.request(requestOptions, callback);
        return;
      }
      headers[replicaHopHeader] = options.selfIp ?? "unknown";
      peers ??= new Agent({
        connections: options.connections,
        pipelining: 1,
        headersTimeout: options.headersTimeoutMs,
        bodyTimeout: 0,
        connect: { timeout: options.peerConnectTimeoutMs ?? options.connectTimeoutMs },
      });
      requestOptions.origin = peer;
      peers.request(requestOptions, callback);
    },
    destroy: async () => {
      await Promise.all([pool.destroy(), peers?.destroy()]);
    },
  };
}
