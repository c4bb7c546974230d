#!/usr/bin/env node
// `npm run demo`: the seed's multi-server layout on this machine, no cluster and no Docker.
// Two real MCP servers from npm (server-everything over Streamable HTTP, and the same server over
// stdio through the sidecar's command mode), each behind its own sidecar on 4001 and 4002.
import { everythingStdioCommand, readMetrics, startEverythingServer } from "@mcpscope/sidecar/testing";
import { startSidecarProcess } from "../harness/sidecar-process.js";
import { formatTable, summarize } from "./summary.js";
import { driveTraffic } from "./traffic.js";

const keep = process.argv.includes("--keep");

async function main(): Promise<void> {
  console.log("Starting server-everything (Streamable HTTP) and two sidecars…");
  const upstream = await startEverythingServer("streamableHttp");
  const http = await startSidecarProcess(
    {
      MCP_UPSTREAM_URL: upstream.url,
      MCP_UPSTREAM_NAME: "everything-http",
      OTEL_SERVICE_NAME: "mcp-sidecar-everything-http",
    },
    { port: 4001, metricsPort: 9464 },
  );
  const stdio = await startSidecarProcess(
    {
      MCP_UPSTREAM_COMMAND: everythingStdioCommand(),
      MCP_UPSTREAM_NAME: "everything-stdio",
      OTEL_SERVICE_NAME: "mcp-sidecar-everything-stdio",
    },
    { port: 4002, metricsPort: 9465 },
  );
  const stopAll = async () => {
    await Promise.allSettled([http.stop(), stdio.stop()]);
    await upstream.stop();
  };

  try {
    console.log("Driving MCP traffic with the official SDK client…");
    const [sentHttp, sentStdio] = await Promise.all([
      driveTraffic(http.proxyUrl, { sessions: 4, echoCallsPerSession: 20, failingCallsPerSession: 2 }),
      driveTraffic(stdio.proxyUrl, { sessions: 2, echoCallsPerSession: 10, failingCallsPerSession: 4 }),
    ]);
    console.log(`Sent ${sentHttp} requests to everything-http and ${sentStdio} to everything-stdio.\n`);
    const rows = [
      summarize(http.serverName, await readMetrics(http.metricsUrl)),
      summarize(stdio.serverName, await readMetrics(stdio.metricsUrl)),
    ];
    console.log(formatTable(rows));
    console.log("");
    for (const s of [http, stdio]) {
      console.log(`${s.serverName}: MCP ${s.proxyUrl}/mcp   health ${s.proxyUrl}/health   metrics ${s.metricsUrl}`);
    }
  } catch (error) {
    await stopAll();
    throw error;
  }

  if (!keep) {
    await stopAll();
    console.log("\nStopped. Run `npm run demo -- --keep` to leave the stack running.");
    return;
  }
  console.log("\nThe stack keeps running; press Ctrl-C to stop it.");
  await new Promise<void>((resolve) => {
    process.once("SIGINT", () => resolve());
    process.once("SIGTERM", () => resolve());
  });
  await stopAll();
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : error);
  process.exit(1);
});
