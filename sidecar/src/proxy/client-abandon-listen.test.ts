import { describe, expect, it } from "vitest";
import { startModernServer } from "../testing/modern-server.js";
import { readMetrics, sampleValue } from "../testing/prometheus-text.js";
import { abandonedPerKind, abandonInBatches, modernPost, quietStack } from "./client-abandon.test-support.js";

const stack = quietStack(
  () => startModernServer(),
  (u) => u.close(),
);

describe("2026-07-28 clients that abandon subscriptions/listen streams", { timeout: 180_000 }, () => {
  it(`closes the upstream side of ${abandonedPerKind.toLocaleString("en-US")} abandoned subscriptions/listen streams`, async () => {
    const { upstream: modern, sidecar } = stack();
    // The listen stream's head comes with its acknowledgement (the server's first event).
    await abandonInBatches(
      modern.url,
      async (signal, i) => {
        const response = await modernPost(
          sidecar.proxyUrl,
          "subscriptions/listen",
          i,
          { notifications: { toolsListChanged: true } },
          signal,
        );
        response.body.on("error", () => {});
        await new Promise<void>((resolve) => response.body.once("data", () => resolve()));
        response.body.resume();
      },
      "heads",
    );
    const points = await readMetrics(sidecar.metricsUrl);
    const listen = { method: "subscriptions/listen" };
    expect(sampleValue(points, "mcp_requests_total", { ...listen, status: "ok" })).toBe(abandonedPerKind);
    expect(sampleValue(points, "mcp_requests_total", { ...listen, status: "error" })).toBe(0);
    expect(sampleValue(points, "mcp_streams_active", { kind: "listen" })).toBe(0);
  });
});
