import { readFile } from "node:fs/promises";
import { describe, expect, it } from "vitest";
import { SidecarErrorCode } from "./errors.js";
import { SidecarErrorReason } from "./telemetry/semconv.js";

const readme = () => readFile(new URL("../../README.md", import.meta.url), "utf8");

describe("the sidecar's error registry", () => {
  it("documents every error code in the README", async () => {
    const text = await readme();
    for (const code of Object.values(SidecarErrorCode))
      expect({ code, documented: text.includes(`\`${code}\``) }).toEqual({ code, documented: true });
  });

  it("documents every mcp_sidecar_errors_total reason in the README", async () => {
    const text = await readme();
    for (const reason of Object.values(SidecarErrorReason))
      expect({ reason, documented: text.includes(`\`${reason}\``) }).toEqual({ reason, documented: true });
  });
});
