import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { toStructuralSchema } from "./crd.js";
import { chartCrdFilePath, crdFileHeader, crdFilePath, crdYaml } from "./crd-file.js";
import { mcpServerSpecSchema } from "./mcpserver.js";

describe("the McpServer CRD", () => {
  it("is in sync with crds/ (run `npm run generate:crds` after changing the schema)", () => {
    expect(readFileSync(crdFilePath, "utf8")).toBe(crdFileHeader + crdYaml());
  });

  it("ships byte-identical in the Helm chart's crds/", () => {
    expect(readFileSync(chartCrdFilePath, "utf8")).toBe(readFileSync(crdFilePath, "utf8"));
  });

  it("makes quantity unions int-or-string and open objects preserve unknown fields", () => {
    expect(toStructuralSchema({ anyOf: [{ type: "string" }, { type: "number" }] })).toEqual({
      "x-kubernetes-int-or-string": true,
    });
    expect(
      toStructuralSchema({ type: "object", additionalProperties: {}, "x-kubernetes-preserve-unknown-fields": true }),
    ).toEqual({ type: "object", "x-kubernetes-preserve-unknown-fields": true });
    expect(
      toStructuralSchema({
        type: "integer",
        minimum: 0,
        maximum: Number.MAX_SAFE_INTEGER,
        additionalProperties: false,
      }),
    ).toEqual({
      type: "integer",
      minimum: 0,
    });
  });

  it("infers the spec type with the same defaults the API server applies", () => {
    expect(mcpServerSpecSchema.parse({ server: { image: "mcp/everything:1" } })).toEqual({
      // No path default in the schema: the operator derives it per transport (/mcp, or /sse for sse).
      server: { image: "mcp/everything:1", port: 3001, transport: "streamable-http" },
      replicas: 1,
      sidecar: { port: 4000, metricsPort: 9464 },
    });
  });
});
