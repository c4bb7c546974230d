import { z } from "zod";
import { mcpServerSpecSchema, mcpServerStatusSchema } from "./mcpserver.js";
import { apiGroup, apiVersion, crdName, groupVersion, kind, plural, shortNames, singular } from "./names.js";
import { ConditionType } from "./reasons.js";

type Json = { [key: string]: unknown };

/** Formats kube-apiserver validates; zod's own (e.g. "starts_with") draw a warning and are dropped. */
const kubernetesFormats = new Set([
  "int32",
  "int64",
  "float",
  "double",
  "byte",
  "date",
  "date-time",
  "password",
  "uri",
  "email",
  "hostname",
  "ipv4",
  "ipv6",
  "cidr",
  "mac",
  "uuid",
  "duration",
]);

/**
 * Turns zod's OpenAPI 3.0 output into a Kubernetes structural schema: no additionalProperties:false,
 * int-or-string for quantity unions, no meaningless ±2^53 bounds, and open objects marked
 * x-kubernetes-preserve-unknown-fields instead of additionalProperties: {}.
 */
export function toStructuralSchema(node: unknown): unknown {
  if (Array.isArray(node)) return node.map(toStructuralSchema);
  if (typeof node !== "object" || node === null) return node;
  const input = node as Json;
  const anyOf = input.anyOf as Json[] | undefined;
  if (
    anyOf &&
    anyOf.length === 2 &&
    anyOf.some((s) => s.type === "string") &&
    anyOf.some((s) => s.type === "number" || s.type === "integer")
  ) {
    return { "x-kubernetes-int-or-string": true };
  }
  const out: Json = {};
  for (const [key, value] of Object.entries(input)) {
    if (key === "$schema" || key === "id") continue;
    if (
      key === "additionalProperties" &&
      (value === false || (typeof value === "object" && value !== null && Object.keys(value).length === 0))
    )
      continue;
    if (key === "format" && typeof value === "string" && !kubernetesFormats.has(value)) continue;
    if (
      (key === "maximum" && value === Number.MAX_SAFE_INTEGER) ||
      (key === "minimum" && value === Number.MIN_SAFE_INTEGER)
    )
      continue;
    out[key] = toStructuralSchema(value);
  }
  if (out["x-kubernetes-preserve-unknown-fields"] === true) {
    // Structural schemas allow properties alongside preserve-unknown-fields, but not additionalProperties.
    delete out.additionalProperties;
    out.type ??= "object";
  }
  return out;
}

function schemaOf(schema: z.ZodType): Json {
  return toStructuralSchema(z.toJSONSchema(schema, { target: "openapi-3.0", io: "input" })) as Json;
}

/**
 * The McpServer CustomResourceDefinition, built purely from the zod schemas, in wire format
 * (x-kubernetes-* keys as the API server spells them, which client-node's typed models rename).
 */
export function buildMcpServerCrd(): Json {
  return {
    apiVersion: "apiextensions.k8s.io/v1",
    kind: "CustomResourceDefinition",
    metadata: {
      name: crdName,
      labels: { "app.kubernetes.io/name": "mcpscope", "app.kubernetes.io/part-of": "mcpscope" },
    },
    spec: {
      group: apiGroup,
      scope: "Namespaced",
      names: { kind, plural, singular, shortNames, listKind: `${kind}List`, categories: ["mcpscope"] },
      versions: [
        {
          name: apiVersion,
          served: true,
          storage: true,
          subresources: { status: {} },
          additionalPrinterColumns: [
            {
              name: ConditionType.ready,
              type: "string",
              jsonPath: `.status.conditions[?(@.type=="${ConditionType.ready}")].status`,
            },
            { name: "Server name", type: "string", jsonPath: ".status.serverName" },
            { name: "Transport", type: "string", jsonPath: ".spec.server.transport" },
            { name: "URL", type: "string", jsonPath: ".status.url" },
            { name: "Age", type: "date", jsonPath: ".metadata.creationTimestamp" },
          ],
          schema: {
            openAPIV3Schema: {
              type: "object",
              description: "An MCP server run with the mcpscope metrics sidecar.",
              required: ["spec"],
              properties: {
                apiVersion: {
                  type: "string",
                  description: `The versioned schema of this object: ${groupVersion}.`,
                },
                kind: { type: "string", description: `The kind of this object: ${kind}.` },
                // The API server refuses anything but a type here (kubectl explain describes ObjectMeta itself).
                metadata: { type: "object" },
                spec: schemaOf(mcpServerSpecSchema),
                status: schemaOf(mcpServerStatusSchema),
              },
            },
          },
        },
      ],
    },
  };
}
