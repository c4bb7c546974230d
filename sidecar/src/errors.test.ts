import { readFile } from "node:fs/promises";
import { describe, expect, it } from "vitest";
import { SidecarErrorCode } from "./errors.js";
import { SidecarErrorReason } from "./telemetry/semconv.js";
import { documentedCodes } from "./testing/documented-codes.js";

const readme = () => readFile(new URL("../../README.md", import.meta.url), "utf8");
const sorted = (codes: Iterable<string>) => [...codes].sort();

// Both ways: a code added without its row fails, and so does a row left for a code that was removed.
describe("the sidecar's error registry", () => {
  it("documents exactly the error codes in the README's table", async () => {
    expect(sorted(documentedCodes(await readme(), "Sidecar error codes"))).toEqual(
      sorted(Object.values(SidecarErrorCode)),
    );
  });

  it("documents exactly the mcp_sidecar_errors_total reasons in the README's table", async () => {
    expect(sorted(documentedCodes(await readme(), "Sidecar error reasons"))).toEqual(
      sorted(Object.values(SidecarErrorReason)),
    );
  });
});
