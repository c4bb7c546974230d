import { describe, expect, it } from "vitest";
import { startEverythingServer } from "../testing/everything-server.js";
import { initializeSession } from "../testing/mcp-http.js";
import { readMetrics, sampleValue } from "../testing/prometheus-text.js";
import { establishedConnections } from "../testing/tcp-connections.js";
import { abandonedPerKind, holdStream, portOf, quietStack, settle } from "./client-abandon.test-support.js";

const stack = quietStack(
  () => startEverythingServer("streamableHttp"),
  (u) => u.stop(),
);

describe("clients that abandon a session's GET stream", { timeout: 180_000 }, () => {
  it(`closes the upstream side of ${abandonedPerKind.toLocaleString("en-US")} abandoned GET streams of one session, one after the other`, async () => {
    const { upstream: everything, sidecar } = stack();
    const session = await initializeSession(sidecar.proxyUrl);
    const port = portOf(everything.url);
    const baseline = await establishedConnections(port);
    for (let i = 0; i < abandonedPerKind; i++) {
      const controller = new AbortController();
      // The server allows one GET stream per session: a leaked one would make this 409 for good (the
      // server may take a moment to notice the previous stream's close, hence a short retry).
      const getStream = () =>
        holdStream(`${sidecar.proxyUrl}/mcp`, {
          method: "GET",
          headers: { accept: "text/event-stream", "mcp-session-id": session },
          signal: controller.signal,
        });
      // The previous stream's upstream side must be closed for this one to be allowed.
      await expect.poll(getStream, { timeout: 5_000, interval: 10, message: "the session's GET stream" }).toBe(200);
      controller.abort();
    }
    await expect
      .poll(() => establishedConnections(port), { ...settle, message: "the GET streams' upstream connections closed" })
      .toBeLessThanOrEqual(baseline);
    const points = await readMetrics(sidecar.metricsUrl);
    expect(sampleValue(points, "mcp_stream_duration_seconds_count", { kind: "get" })).toBe(abandonedPerKind);
    expect(sampleValue(points, "mcp_streams_active", { kind: "get" })).toBe(0);
  });
});
