#!/usr/bin/env node
// `npm run bench:soak`: long-lived streams through the sidecar. One GET SSE stream left idle for
// 10 minutes must still be open and deliver an event afterwards (undici's 300 s body time-out must
// not apply), and the sidecar's RSS is sampled while 500 idle streams stay open.
import { readFile } from "node:fs/promises";
import { startEverythingServer } from "@mcpscope/sidecar/testing";
import { Pool } from "undici";
import { startSidecarProcess } from "../harness/sidecar-process.js";
import { mcpHeaders, openSession } from "./clients.js";
import { rssMbFromProcStatus } from "./stats.js";

const idleMinutes = Number(process.env.SOAK_IDLE_MINUTES ?? 10);
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function main(): Promise<void> {
  const everything = await startEverythingServer("streamableHttp");
  const sidecar = await startSidecarProcess({
    LOG_LEVEL: "warn",
    MCP_UPSTREAM_URL: everything.url,
    MCP_UPSTREAM_NAME: "soak",
  });
  const pool = new Pool(sidecar.proxyUrl, { connections: 600 });
  const rss = async () => rssMbFromProcStatus(await readFile(`/proc/${sidecar.child.pid}/status`, "utf8"));
  try {
    // The idle stream under test, and its session.
    const session = await openSession(pool, "/mcp");
    let ended = false;
    let received = "";
    const stream = await pool.request({
      method: "GET",
      path: "/mcp",
      headers: { accept: "text/event-stream", "mcp-session-id": session },
    });
    stream.body.on("data", (chunk: Buffer) => {
      received += chunk.toString();
    });
    stream.body.on("end", () => {
      ended = true;
    });
    stream.body.on("error", () => {
      ended = true;
    });

    // 500 more idle streams, RSS sampled while they are held.
    const rssSeries: number[] = [await rss()];
    for (let i = 0; i < 500; i++) {
      const s = await openSession(pool, "/mcp");
      const r = await pool.request({
        method: "GET",
        path: "/mcp",
        headers: { accept: "text/event-stream", "mcp-session-id": s },
      });
      r.body.on("error", () => {});
      r.body.resume();
    }
    const deadline = Date.now() + idleMinutes * 60_000;
    while (Date.now() < deadline) {
      rssSeries.push(await rss());
      await sleep(Math.min(60_000, Math.max(0, deadline - Date.now())));
    }
    rssSeries.push(await rss());
    console.log(
      `RSS (MB) before the 500 streams, then every minute while held: ${rssSeries.map((v) => v.toFixed(1)).join(", ")}`,
    );
    if (ended) throw new Error(`the idle stream was closed within ${idleMinutes} minutes`);
    // Prove the stream still carries events: server-everything logs to the session's GET stream.
    const call = await pool.request({
      method: "POST",
      path: "/mcp",
      headers: { ...mcpHeaders, "mcp-session-id": session },
      body: '{"jsonrpc":"2.0","id":9,"method":"logging/setLevel","params":{"level":"debug"}}',
    });
    await call.body.text();
    const toggle = await pool.request({
      method: "POST",
      path: "/mcp",
      headers: { ...mcpHeaders, "mcp-session-id": session },
      body: '{"jsonrpc":"2.0","id":10,"method":"tools/call","params":{"name":"toggle-simulated-logging","arguments":{}}}',
    });
    await toggle.body.text();
    const before = received.length;
    for (let i = 0; i < 100 && received.length === before; i++) await sleep(100);
    if (received.length === before)
      throw new Error("the idle stream is open but delivered nothing after the idle period");
    console.log(`an idle GET SSE stream stayed open ${idleMinutes} min through the sidecar and then delivered events`);
  } finally {
    await pool.destroy();
    await sidecar.stop();
    await everything.stop();
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
