import { describe, expect, it } from "vitest";
import { imageRuntimeOf, sidecarImageRuntime } from "./image-runtime.js";

describe("imageRuntimeOf", () => {
  it("reads the last stage's ENV settings and ENTRYPOINT flags, not the build stage's", () => {
    const dockerfile = [
      "FROM node:24-slim AS build",
      "ENV BUILD_ONLY=1",
      'ENTRYPOINT ["node", "--build-flag", "x.js"]',
      "FROM node:24-slim",
      "ENV NODE_ENV=production",
      "ENV MALLOC_ARENA_MAX=1",
      'ENTRYPOINT ["node", "--max-semi-space-size=2", "--memory-saver-mode", "sidecar/bundle/main.js"]',
    ].join("\n");
    expect(imageRuntimeOf(dockerfile)).toEqual({
      env: { MALLOC_ARENA_MAX: "1" },
      flags: ["--max-semi-space-size=2", "--memory-saver-mode"],
    });
  });

  it("finds the sidecar image's flags and settings", async () => {
    const runtime = await sidecarImageRuntime();
    expect(runtime.flags).toContain("--memory-saver-mode");
    expect(Object.keys(runtime.env).length).toBeGreaterThan(0);
  });
});
