import { describe, expect, it } from "vitest";
import { parsePrometheusText, sampleValue } from "./prometheus-text.js";

describe("parsePrometheusText", () => {
  it("reads histogram samples in the order OpenTelemetry writes them, with escaped label values", () => {
    const points = parsePrometheusText(
      [
        "# TYPE h histogram",
        'h_count{a="1"} 2',
        'h_sum{a="1"} 0.5',
        'h_bucket{a="1",le="+Inf"} 2',
        'c_total{path="/x",q="say \\"hi\\""} 3 1700000000000',
        "up 1",
      ].join("\n"),
    );
    expect(points).toEqual([
      { name: "h_count", labels: { a: "1" }, value: 2 },
      { name: "h_sum", labels: { a: "1" }, value: 0.5 },
      { name: "h_bucket", labels: { a: "1", le: "+Inf" }, value: 2 },
      { name: "c_total", labels: { path: "/x", q: 'say "hi"' }, value: 3 },
      { name: "up", labels: {}, value: 1 },
    ]);
    expect(sampleValue(points, "h_count", { a: "1" })).toBe(2);
  });
});
