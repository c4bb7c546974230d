import { request } from "undici";
import { afterAll, beforeAll, expect } from "vitest";
import type { RunningSidecar } from "../sidecar.js";
import { startTestSidecar } from "../testing/sidecar-harness.js";
import { establishedConnections } from "../testing/tcp-connections.js";
import { scaled } from "../testing/test-scale.js";

// Clients that leave: 1,000 abandoned streams of each kind must not leave 1,000 upstream requests
// open (the pool holds 512: a leak is a total outage). The upstream's own sockets are counted, back to
// their baseline after every batch, so the quick loop's 200 (test-scale.ts) finds a leak as well.
// Shared by the proxy's client-abandon-*.test.ts files, one per kind of stream, so they run in parallel.

export const accept = "application/json, text/event-stream";
export const abandonedPerKind = scaled(1_000, 200);
export const abandonBatch = 100;

/** How long the upstream may take to see a client's close, or calls to get under way. */
export const settle = { timeout: 20_000, interval: 10 };

export const portOf = (url: string) => Number(new URL(url).port);

/** A sidecar with one health probe at start only, so the upstream's connections move with the test's traffic alone. */
async function quietSidecarFor(url: string, env: Record<string, string> = {}): Promise<RunningSidecar> {
  const sidecar = await startTestSidecar({
    MCP_UPSTREAM_URL: url,
    MCP_UPSTREAM_TIMEOUT_MS: "5000",
    MCP_HEALTH_INTERVAL_MS: "3600000",
    MCP_HEALTH_CACHE_MS: "600000",
    ...env,
  });
  await (await request(`${sidecar.proxyUrl}/health`)).body.text();
  return sidecar;
}

/**
 * One upstream and a quiet sidecar in front of it, for a whole test file (started in beforeAll,
 * stopped in afterAll); `stack()` hands both to the tests.
 */
export function quietStack<Upstream extends { url: string }>(
  startUpstream: () => Promise<Upstream>,
  stopUpstream: (upstream: Upstream) => Promise<unknown>,
  env: Record<string, string> = {},
): () => { upstream: Upstream; sidecar: RunningSidecar } {
  let running: { upstream: Upstream; sidecar: RunningSidecar } | undefined;
  beforeAll(async () => {
    const upstream = await startUpstream();
    running = { upstream, sidecar: await quietSidecarFor(upstream.url, env) };
  });
  afterAll(async () => {
    await running?.sidecar.close();
    if (running) await stopUpstream(running.upstream);
  });
  return () => {
    if (!running) throw new Error("the upstream and sidecar start in beforeAll");
    return running;
  };
}

/**
 * Opens `abandonedPerKind` requests in batches; each batch is abandoned (aborted by its client) once
 * all of them are under way — every stream has its head, or the upstream reports every call in
 * progress — and then the upstream must be back to its baseline of connections.
 */
export async function abandonInBatches(
  upstreamUrl: string,
  open: (signal: AbortSignal, i: number) => Promise<unknown>,
  underWay: "heads" | (() => boolean),
) {
  const port = portOf(upstreamUrl);
  const baseline = await establishedConnections(port);
  for (let done = 0; done < abandonedPerKind; done += abandonBatch) {
    const controller = new AbortController();
    const pending = Array.from({ length: abandonBatch }, (_, i) =>
      open(controller.signal, done + i).catch((error: unknown) => error),
    );
    if (underWay === "heads") await Promise.all(pending);
    else await expect.poll(underWay, { ...settle, message: `${abandonBatch} calls under way upstream` }).toBe(true);
    controller.abort();
    await Promise.all(pending);
    await expect
      .poll(() => establishedConnections(port), {
        ...settle,
        message: "the upstream's connections back to the baseline",
      })
      .toBeLessThanOrEqual(baseline);
  }
}

/** Opens a request and, once its head arrives, keeps reading until aborted (as a client holding a stream). */
export async function holdStream(url: string, init: Parameters<typeof request>[1]): Promise<number> {
  const response = await request(url, init);
  response.body.on("error", () => {});
  response.body.resume();
  return response.statusCode;
}

const modernMeta = {
  "io.modelcontextprotocol/protocolVersion": "2026-07-28",
  "io.modelcontextprotocol/clientInfo": { name: "t", version: "1" },
  "io.modelcontextprotocol/clientCapabilities": {},
};

/** A 2026-07-28 request (headers and _meta as the protocol asks) to `base`/mcp. */
export function modernPost(base: string, method: string, id: number, params: object, signal?: AbortSignal) {
  const name = (params as { name?: string }).name;
  return request(`${base}/mcp`, {
    method: "POST",
    headers: {
      "content-type": "application/json",
      accept,
      "mcp-protocol-version": "2026-07-28",
      "mcp-method": method,
      ...(name ? { "mcp-name": name } : {}),
    },
    body: JSON.stringify({ jsonrpc: "2.0", id, method, params: { ...params, _meta: modernMeta } }),
    ...(signal ? { signal } : {}),
  });
}
