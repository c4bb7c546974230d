import { request } from "undici";
import { describe, expect, it } from "vitest";
import { startEverythingServer } from "../testing/everything-server.js";
import { initializeSession } from "../testing/mcp-http.js";
import { readMetrics, sampleValue } from "../testing/prometheus-text.js";
import { abandonedPerKind, abandonInBatches, accept, holdStream, quietStack } from "./client-abandon.test-support.js";

const stack = quietStack(
  () => startEverythingServer("streamableHttp"),
  (u) => u.stop(),
);

describe("clients that abandon POST requests answered with SSE", { timeout: 180_000 }, () => {
  it(`closes the upstream side of ${abandonedPerKind.toLocaleString("en-US")} abandoned POST-answered-with-SSE streams, and still answers`, async () => {
    const { upstream: everything, sidecar } = stack();
    const session = await initializeSession(sidecar.proxyUrl);
    await abandonInBatches(
      everything.url,
      (signal, i) =>
        holdStream(`${sidecar.proxyUrl}/mcp`, {
          method: "POST",
          headers: { "content-type": "application/json", accept, "mcp-session-id": session },
          body: JSON.stringify({
            jsonrpc: "2.0",
            id: i + 1,
            method: "tools/call",
            params: {
              name: "trigger-long-running-operation",
              arguments: { duration: 120, steps: 120 },
              _meta: { progressToken: i + 1 },
            },
          }),
          signal,
        }),
      "heads",
    );
    const ping = await request(`${sidecar.proxyUrl}/mcp`, {
      method: "POST",
      headers: { "content-type": "application/json", accept, "mcp-session-id": session },
      body: '{"jsonrpc":"2.0","id":"after","method":"ping"}',
    });
    expect(ping.statusCode).toBe(200);
    const pingText = await ping.body.text();
    expect(pingText).toContain('"id":"after"');
    expect(pingText).toContain('"result":{}');
    const points = await readMetrics(sidecar.metricsUrl);
    expect(sampleValue(points, "mcp_tool_calls_total", { status: "cancelled" })).toBe(abandonedPerKind);
    expect(sampleValue(points, "mcp_sidecar_errors_total")).toBe(0);
  });
});
