#!/usr/bin/env node
// `npm run demo`: the multi-server layout (two MCP servers, two sidecars) on this machine, no cluster and no Docker.
// Two real MCP servers from npm (server-everything over Streamable HTTP, and the same server over
// stdio through the sidecar's command mode), each behind its own sidecar on 4001 and 4002.
import { everythingStdioCommand, readMetrics, startEverythingServer } from "@mcpscope/sidecar/testing";
import { type SidecarProcess, startSidecarProcess } from "../harness/sidecar-process.js";
import { printedSpan } from "./printed-span.js";
import { formatTable, summarize } from "./summary.js";
import { driveTraffic, tracedToolCall } from "./traffic.js";

const keep = process.argv.includes("--keep");
/** With an OTLP endpoint in the environment the sidecars export there; else spans go to the console. */
const otlpEndpoint = process.env.OTEL_EXPORTER_OTLP_ENDPOINT;
const jaegerUi = process.env.JAEGER_UI_URL ?? "http://localhost:16686";

/** Makes one traced tool call and says where its span is. */
async function showTrace(sidecar: SidecarProcess): Promise<void> {
  const { traceId, callerSpanId } = await tracedToolCall(sidecar.proxyUrl);
  console.log(`\nOne tool call with a traceparent in params._meta: trace ${traceId} (the demo's span ${callerSpanId})`);
  if (otlpEndpoint) {
    console.log(`  the sidecar's span went over OTLP to ${otlpEndpoint}; in Jaeger: ${jaegerUi}/trace/${traceId}`);
    return;
  }
  const deadline = Date.now() + 10_000;
  let span = printedSpan(sidecar.output(), traceId);
  while (!span && Date.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, 100));
    span = printedSpan(sidecar.output(), traceId);
  }
  if (!span) throw new Error(`the sidecar printed no span for trace ${traceId}`);
  console.log(
    `  sidecar span ${span.spanId} "${span.name}", child of ${span.parentSpanId || "nothing"}, ${span.durationMs.toFixed(1)} ms`,
  );
  console.log(
    "  printed by the sidecar's console exporter (OTEL_TRACES_EXPORTER=console). To browse traces, run Jaeger",
  );
  console.log(
    "  (compose: docker compose -f docker-compose.yml -f tracing.yml up; chart: tracing.jaeger.enabled=true)",
  );
  console.log(
    `  and OTEL_EXPORTER_OTLP_ENDPOINT=http://localhost:4318 npm run demo — then ${jaegerUi}/trace/<trace id>`,
  );
}

async function main(): Promise<void> {
  console.log("Starting server-everything (Streamable HTTP) and two sidecars…");
  const upstream = await startEverythingServer("streamableHttp");
  const http = await startSidecarProcess(
    {
      MCP_UPSTREAM_URL: upstream.url,
      MCP_UPSTREAM_NAME: "everything-http",
      OTEL_SERVICE_NAME: "mcp-sidecar-everything-http",
      ...(otlpEndpoint ? {} : { OTEL_TRACES_EXPORTER: "console", OTEL_BSP_SCHEDULE_DELAY: "200" }),
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
    await showTrace(http);
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
