import { describe, expect, it } from "vitest";
import { startModernServer } from "../testing/modern-server.js";
import { readMetrics, sampleValue } from "../testing/prometheus-text.js";
import {
  abandonBatch,
  abandonedPerKind,
  abandonInBatches,
  modernPost,
  quietStack,
  settle,
} from "./client-abandon.test-support.js";

const stack = quietStack(
  () => startModernServer(),
  (u) => u.close(),
);

describe("2026-07-28 clients that give up slow calls", { timeout: 180_000 }, () => {
  it(`closes the upstream side of ${abandonedPerKind.toLocaleString("en-US")} slow calls given up before any head, and still answers`, async () => {
    const { upstream: modern, sidecar } = stack();
    await (await modernPost(sidecar.proxyUrl, "tools/list", 0, {})).body.text();
    await abandonInBatches(
      modern.url,
      (signal, i) =>
        modernPost(sidecar.proxyUrl, "tools/call", i, { name: "slow", arguments: { seconds: 120 } }, signal),
      () => modern.slowCallsInFlight() === abandonBatch,
    );
    // The server saw every call cancelled, none answered.
    await expect
      .poll(modern.slowCallsInFlight, { ...settle, message: "the server to see the slow calls cancelled" })
      .toBe(0);
    const echo = await modernPost(sidecar.proxyUrl, "tools/call", 1, {
      name: "echo",
      arguments: { message: "still here" },
    });
    expect(echo.statusCode).toBe(200);
    expect(await echo.body.text()).toContain("Echo: still here");
    const points = await readMetrics(sidecar.metricsUrl);
    expect(sampleValue(points, "mcp_tool_calls_total", { tool_name: "slow", status: "cancelled" })).toBe(
      abandonedPerKind,
    );
    expect(sampleValue(points, "mcp_tool_calls_total", { tool_name: "echo", status: "ok" })).toBe(1);
  });
});
