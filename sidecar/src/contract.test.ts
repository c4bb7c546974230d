import { describe, expect, it } from "vitest";
import { defaultMcpPath, isHttpUrl, serverNamePattern, upstreamTransports } from "./contract.js";

describe("the sidecar contract", () => {
  it("has a default MCP path for every transport", () => {
    for (const transport of upstreamTransports) expect(defaultMcpPath[transport]).toMatch(/^\//);
    expect(defaultMcpPath.sse).toBe("/sse");
  });

  it("accepts http(s) URLs with a host and refuses the rest, including a bare scheme", () => {
    for (const ok of ["http://collector:4318", "https://a.b/v1", "http://127.0.0.1"]) expect(isHttpUrl(ok)).toBe(true);
    for (const bad of ["http://", "https://", "ftp://x", "collector:4318", "http:// x", "http://[bad"])
      expect(isHttpUrl(bad)).toBe(false);
  });

  it("bounds server names to 63 characters starting with a letter or digit", () => {
    expect(serverNamePattern.test("a".repeat(63))).toBe(true);
    expect(serverNamePattern.test("a".repeat(64))).toBe(false);
    expect(serverNamePattern.test("-a")).toBe(false);
    expect(serverNamePattern.test("weather.v2_a-b")).toBe(true);
  });
});
