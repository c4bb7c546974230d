import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { buildMcpServerCrd, toStructuralSchema } from "./crd.js";
import { chartCrdFilePath, crdFileHeader, crdFilePath, crdYaml } from "./crd-file.js";
import { mcpServerSpecSchema } from "./mcpserver.js";

type SchemaNode = {
  description?: string;
  properties?: Record<string, SchemaNode>;
  items?: SchemaNode;
  additionalProperties?: SchemaNode | boolean;
};

/** Paths (as `kubectl explain` spells them) of every property, however deep, that has no description. */
function undescribedFields(node: SchemaNode, path: string): string[] {
  const own = Object.entries(node.properties ?? {}).flatMap(([name, child]) => [
    ...(child.description?.trim() ? [] : [`${path}.${name}`]),
    ...undescribedFields(child, `${path}.${name}`),
  ]);
  const items = node.items ? undescribedFields(node.items, path) : [];
  const values =
    typeof node.additionalProperties === "object" ? undescribedFields(node.additionalProperties, path) : [];
  return [...own, ...items, ...values];
}

describe("the McpServer CRD", () => {
  it("describes every field for kubectl explain, however deep (add .describe() in mcpserver.ts)", () => {
    const crd = buildMcpServerCrd() as { spec: { versions: { schema: { openAPIV3Schema: SchemaNode } }[] } };
    const root = crd.spec.versions[0]?.schema.openAPIV3Schema as SchemaNode;
    expect(root.description).toBeTruthy();
    // metadata is ObjectMeta: the API server forbids a CRD to say anything about it but its type.
    expect(undescribedFields(root, "mcpservers")).toEqual(["mcpservers.metadata"]);
  });

  it("finds an undescribed field inside list items and map values", () => {
    const schema: SchemaNode = {
      properties: {
        list: {
          description: "a list",
          items: { properties: { inItem: {}, described: { description: "yes" } } },
        },
        map: { description: "a map", additionalProperties: { properties: { inValue: {} } } },
        blank: { description: " " },
      },
    };
    expect(undescribedFields(schema, "x")).toEqual(["x.list.inItem", "x.map.inValue", "x.blank"]);
  });

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
