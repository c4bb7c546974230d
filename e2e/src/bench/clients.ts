import { createParser } from "eventsource-parser";
import type { Pool } from "undici";

export const mcpHeaders = { "content-type": "application/json", accept: "application/json, text/event-stream" };

const initializeBody = JSON.stringify({
  jsonrpc: "2.0",
  id: 0,
  method: "initialize",
  params: { protocolVersion: "2025-06-18", capabilities: {}, clientInfo: { name: "mcpscope-bench", version: "0.1.0" } },
});

/** Opens an MCP session on a Streamable HTTP endpoint with plain HTTP; returns its Mcp-Session-Id. */
export async function openSession(pool: Pool, path: string): Promise<string> {
  const response = await pool.request({ method: "POST", path, headers: mcpHeaders, body: initializeBody });
  await response.body.text();
  const session = String(response.headers["mcp-session-id"]);
  const ack = await pool.request({
    method: "POST",
    path,
    headers: { ...mcpHeaders, "mcp-session-id": session },
    body: '{"jsonrpc":"2.0","method":"notifications/initialized"}',
  });
  await ack.body.text();
  return session;
}

export interface TimedTarget {
  name: string;
  pool: Pool;
  path: string;
  headers: Record<string, string>;
  /** The request body of call `id`; the short echo call when unset. */
  body?: (id: number) => string;
}

/** A target holding an MCP session of its own on `pool` (opened now), for tools/call at `path`. */
export async function sessionTarget(name: string, pool: Pool, path = "/mcp"): Promise<TimedTarget> {
  return { name, pool, path, headers: { ...mcpHeaders, "mcp-session-id": await openSession(pool, path) } };
}

export function echoCallBody(id: number, message = "bench"): string {
  return `{"jsonrpc":"2.0","id":${id},"method":"tools/call","params":{"name":"echo","arguments":{"message":${JSON.stringify(message)}}}}`;
}

export function toolsListBody(id: number): string {
  return `{"jsonrpc":"2.0","id":${id},"method":"tools/list"}`;
}

/** One tools/call, timed with process.hrtime from send to the last byte of the answer; µs. */
export async function timedCall(target: TimedTarget, id: number): Promise<number> {
  const start = process.hrtime.bigint();
  const response = await target.pool.request({
    method: "POST",
    path: target.path,
    headers: target.headers,
    body: target.body ? target.body(id) : echoCallBody(id),
  });
  const text = await response.body.text();
  const elapsed = Number(process.hrtime.bigint() - start) / 1000;
  if (response.statusCode !== 200 || !text.includes('"result"'))
    throw new Error(`${target.name}: bad answer ${response.statusCode} ${text.slice(0, 200)}`);
  return elapsed;
}

/** Calls the bench upstream's `stream` tool and returns each progress event's delivery delay in µs. */
export async function streamEventDelays(
  pool: Pool,
  path: string,
  events: number,
  intervalMs: number,
): Promise<number[]> {
  const delays: number[] = [];
  const parser = createParser({
    onEvent: (event) => {
      const arrived = Math.round((performance.timeOrigin + performance.now()) * 1000);
      const message = JSON.parse(event.data) as { method?: string; params?: { message?: string } };
      if (message.method === "notifications/progress") delays.push(arrived - Number(message.params?.message));
    },
  });
  const body = JSON.stringify({
    jsonrpc: "2.0",
    id: 1,
    method: "tools/call",
    params: { name: "stream", arguments: { events, intervalMs }, _meta: { progressToken: "p" } },
  });
  const response = await pool.request({ method: "POST", path, headers: mcpHeaders, body });
  const decoder = new TextDecoder();
  for await (const chunk of response.body) parser.feed(decoder.decode(chunk as Buffer, { stream: true }));
  if (delays.length !== events) throw new Error(`expected ${events} progress events, got ${delays.length}`);
  return delays;
}

/** Open-loop load at a fixed rate: latency counts from the scheduled send time (no coordinated omission). */
export async function fixedRate(target: TimedTarget, ratePerSecond: number, seconds: number): Promise<number[]> {
  const total = ratePerSecond * seconds;
  const intervalNs = BigInt(Math.round(1e9 / ratePerSecond));
  const start = process.hrtime.bigint();
  const pending: Promise<number>[] = [];
  for (let i = 0; i < total; i++) {
    const due = start + BigInt(i) * intervalNs;
    let now = process.hrtime.bigint();
    while (now < due) {
      const waitMs = Number(due - now) / 1e6;
      if (waitMs > 1) await new Promise((resolve) => setTimeout(resolve, waitMs - 1));
      else await new Promise((resolve) => setImmediate(resolve));
      now = process.hrtime.bigint();
    }
    pending.push(
      target.pool
        .request({ method: "POST", path: target.path, headers: target.headers, body: echoCallBody(i) })
        .then(async (response) => {
          await response.body.text();
          return Number(process.hrtime.bigint() - due) / 1000;
        }),
    );
  }
  return Promise.all(pending);
}
