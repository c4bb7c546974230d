import { randomBytes } from "node:crypto";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";

export interface TrafficPlan {
  sessions: number;
  echoCallsPerSession: number;
  failingCallsPerSession: number;
}

/** Drives a mix of MCP traffic through one sidecar with the official SDK client; returns requests sent. */
export async function driveTraffic(proxyUrl: string, plan: TrafficPlan): Promise<number> {
  let sent = 0;
  for (let s = 0; s < plan.sessions; s++) {
    const client = new Client({ name: "mcpscope-demo", version: "0.1.0" });
    const transport = new StreamableHTTPClientTransport(new URL(`${proxyUrl}/mcp`));
    await client.connect(transport);
    sent += 2; // initialize + notifications/initialized
    await client.listTools();
    sent += 1;
    for (let i = 0; i < plan.echoCallsPerSession; i++) {
      await client.callTool({
        name: i % 2 === 0 ? "echo" : "get-sum",
        arguments: i % 2 === 0 ? { message: `hi ${i}` } : { a: i, b: 1 },
      });
      sent += 1;
    }
    for (let i = 0; i < plan.failingCallsPerSession; i++) {
      await client.callTool({ name: "get-sum", arguments: { a: "not a number", b: 1 } });
      sent += 1;
    }
    await client.callTool(
      { name: "trigger-long-running-operation", arguments: { duration: 0.2, steps: 2 } },
      undefined,
      {
        onprogress: () => {},
      },
    );
    await client.listResources();
    await client.listPrompts();
    await client.ping();
    sent += 4;
    await transport.terminateSession();
    await client.close();
  }
  return sent;
}

/**
 * One tool call carrying W3C trace context in params._meta, as a traced agent sends it (MCP
 * 2026-07-28); returns the caller's trace and span ids, which the sidecar's span continues.
 */
export async function tracedToolCall(proxyUrl: string): Promise<{ traceId: string; callerSpanId: string }> {
  const traceId = randomBytes(16).toString("hex");
  const callerSpanId = randomBytes(8).toString("hex");
  const client = new Client({ name: "mcpscope-demo", version: "0.1.0" });
  const transport = new StreamableHTTPClientTransport(new URL(`${proxyUrl}/mcp`));
  await client.connect(transport);
  await client.listTools();
  await client.callTool({
    name: "echo",
    arguments: { message: "traced" },
    _meta: { traceparent: `00-${traceId}-${callerSpanId}-01` },
  });
  await transport.terminateSession();
  await client.close();
  return { traceId, callerSpanId };
}
