import { describe, expect, it } from "vitest";
import { effectiveSlo, sloEnv } from "./slo-objectives.js";

const defaults = { availability: "99.9", latency: { threshold: "1s", objective: "95" } };

describe("effectiveSlo", () => {
  it("gives a server that declares nothing the installation's defaults", () => {
    expect(effectiveSlo(undefined, defaults)).toEqual(defaults);
    expect(effectiveSlo({}, { availability: "99.9" })).toEqual({ availability: "99.9" });
  });

  it("lets each declared objective win, and keeps the default for the other", () => {
    expect(effectiveSlo({ latency: { threshold: "300ms", objective: "99" } }, defaults)).toEqual({
      availability: "99.9",
      latency: { threshold: "300ms", objective: "99" },
    });
    expect(effectiveSlo({ availability: "99.5" }, defaults)).toEqual({ ...defaults, availability: "99.5" });
  });

  it("gives nothing when neither declares anything", () => {
    expect(effectiveSlo(undefined, undefined)).toEqual({});
  });
});

describe("sloEnv", () => {
  it("writes MCP_SLO_* as the objectives were written", () => {
    expect(sloEnv({ availability: "99.9", latency: { threshold: "500ms", objective: "99" } })).toEqual([
      { name: "MCP_SLO_AVAILABILITY", value: "99.9" },
      { name: "MCP_SLO_LATENCY_THRESHOLD", value: "500ms" },
      { name: "MCP_SLO_LATENCY_OBJECTIVE", value: "99" },
    ]);
    expect(sloEnv({})).toEqual([]);
  });
});
