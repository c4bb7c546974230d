import { parsePrometheusText } from "@mcpscope/sidecar/testing";
import { describe, expect, it } from "vitest";
import { formatTable, histogramQuantile, summarize } from "./summary.js";

describe("histogramQuantile", () => {
  it("interpolates inside the bucket as PromQL does", () => {
    // 10 observations: 5 under 0.1 s, 5 between 0.1 and 0.2 s. Rank 9.5 lies 90 % into the second bucket.
    expect(
      histogramQuantile(0.95, [
        { le: 0.1, count: 5 },
        { le: 0.2, count: 10 },
        { le: Infinity, count: 10 },
      ]),
    ).toBeCloseTo(0.19);
  });

  it("returns the last finite bound when the quantile falls in +Inf, and undefined with no data", () => {
    expect(
      histogramQuantile(0.99, [
        { le: 1, count: 1 },
        { le: Infinity, count: 10 },
      ]),
    ).toBe(1);
    expect(histogramQuantile(0.5, [{ le: Infinity, count: 0 }])).toBeUndefined();
  });
});

describe("summarize", () => {
  it("answers the four per-server questions (request rate, tool calls, error rate, p95) for one server from a scrape", () => {
    const points = parsePrometheusText(
      [
        'mcp_requests_total{server_name="a",method="ping",status="ok"} 3',
        'mcp_requests_total{server_name="a",method="tools/call",status="error"} 1',
        'mcp_requests_total{server_name="b",method="ping",status="ok"} 9',
        'mcp_tool_calls_total{server_name="a",tool_name="echo",status="error"} 1',
        'mcp_request_duration_seconds_bucket{server_name="a",method="ping",le="0.01"} 3',
        'mcp_request_duration_seconds_bucket{server_name="a",method="ping",le="+Inf"} 3',
        'mcp_request_duration_seconds_bucket{server_name="a",method="tools/call",le="0.01"} 0',
        'mcp_request_duration_seconds_bucket{server_name="a",method="tools/call",le="+Inf"} 1',
      ].join("\n"),
    );
    expect(summarize("a", points)).toEqual({
      server: "a",
      requests: 4,
      toolCalls: 1,
      errorRate: 0.25,
      p95Seconds: 0.01,
    });
    expect(formatTable([summarize("a", points)])).toBe(
      [
        "server_name  requests  tool calls  error rate  p95 latency",
        "-----------  --------  ----------  ----------  -----------",
        "a                   4           1      25.0 %      10.0 ms",
      ].join("\n"),
    );
  });
});
