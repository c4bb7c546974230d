import { describe, expect, it } from "vitest";
import { tracingEnabled } from "./trace-provider.js";

describe("tracingEnabled", () => {
  it("traces when there is an OTLP endpoint to send to, or an exporter named explicitly", () => {
    expect(tracingEnabled({ OTEL_EXPORTER_OTLP_ENDPOINT: "http://collector:4318" })).toBe(true);
    expect(tracingEnabled({ OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: "http://c:4318/v1/traces" })).toBe(true);
    expect(tracingEnabled({ OTEL_TRACES_EXPORTER: "console" })).toBe(true);
    expect(tracingEnabled({})).toBe(false);
    expect(tracingEnabled({ OTEL_TRACES_EXPORTER: "otlp" })).toBe(false);
  });

  it("never traces with OTEL_TRACES_EXPORTER=none or OTEL_SDK_DISABLED=true", () => {
    const endpoint = { OTEL_EXPORTER_OTLP_ENDPOINT: "http://collector:4318" };
    expect(tracingEnabled({ ...endpoint, OTEL_TRACES_EXPORTER: "none" })).toBe(false);
    expect(tracingEnabled({ ...endpoint, OTEL_SDK_DISABLED: "TRUE" })).toBe(false);
  });
});
