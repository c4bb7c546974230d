import {
  httpUrlPattern,
  httpUrlRule,
  serverNamePattern,
  serverNameRule,
  upstreamTransports,
} from "@mcpscope/sidecar/constants";
import { z } from "zod";

// The McpServer resource. These zod schemas are the single source: the CRD's OpenAPI schema is
// generated from them (crd.ts) and the TypeScript types are inferred from them.

const dnsLabel = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const portNumber = z.number().int().min(1).max(65535);

/** A quantity ("500m", "128Mi") or a plain number, as Kubernetes resource lists take them. */
const quantity = z.union([z.string(), z.number()]);

const resources = z
  .object({
    limits: z.record(z.string(), quantity).optional(),
    requests: z.record(z.string(), quantity).optional(),
  })
  .describe("Compute resources, as in a container spec.");

/** Kept open-ended: a full core/v1 EnvVar (valueFrom…) is validated by the API server on the Deployment. */
const envVar = z
  .object({ name: z.string().min(1), value: z.string().optional() })
  .catchall(z.unknown())
  .meta({ "x-kubernetes-preserve-unknown-fields": true });

const envFromSource = z.record(z.string(), z.unknown()).meta({ "x-kubernetes-preserve-unknown-fields": true });

/** The sidecar's transports plus stdio, where the sidecar runs the server's command itself. */
export const transports = [...upstreamTransports, "stdio"] as const;
export type McpServerTransport = (typeof transports)[number];

export const serverSpecSchema = z
  .object({
    image: z.string().min(1).describe("Container image of the MCP server."),
    command: z.array(z.string()).optional().describe("Entrypoint override; for stdio, the server's command line."),
    args: z.array(z.string()).optional(),
    env: z.array(envVar).optional(),
    envFrom: z.array(envFromSource).optional(),
    port: portNumber.default(3001).describe("Port the server listens on (HTTP transports)."),
    path: z
      .string()
      .startsWith("/")
      .optional()
      .describe(
        "The server's MCP endpoint path, used by health checks; defaults to /mcp (streamable-http) or /sse (sse).",
      ),
    transport: z.enum(transports).default("streamable-http"),
    resources: resources.optional(),
  })
  .meta({
    "x-kubernetes-validations": [
      {
        rule: "self.transport != 'stdio' || (has(self.command) && size(self.command) > 0)",
        message: "spec.server.command is required when transport is stdio: the sidecar runs that command",
      },
    ],
  });

export const sidecarSpecSchema = z.object({
  image: z.string().min(1).optional().describe("Sidecar image; defaults to the operator's configured image."),
  port: portNumber.default(4000),
  metricsPort: portNumber.default(9464),
  resources: resources.optional(),
  env: z.array(envVar).optional().describe("Extra environment for the sidecar (e.g. LOG_LEVEL)."),
});

export const telemetrySpecSchema = z.object({
  otlpEndpoint: z
    .string()
    .regex(httpUrlPattern, httpUrlRule)
    .optional()
    .describe("OTLP/HTTP endpoint the sidecar pushes to; unset means Prometheus pull only."),
  serviceName: z.string().min(1).optional(),
});

export const podTemplateOverridesSchema = z.object({
  metadata: z
    .object({
      labels: z.record(z.string(), z.string()).optional(),
      annotations: z.record(z.string(), z.string()).optional(),
    })
    .optional(),
  spec: z
    .record(z.string(), z.unknown())
    .optional()
    .meta({ "x-kubernetes-preserve-unknown-fields": true })
    .describe("Merged over the generated pod spec (nodeSelector, tolerations, serviceAccountName…)."),
});

export const mcpServerSpecSchema = z.object({
  server: serverSpecSchema,
  serverName: z
    .string()
    .max(63)
    .regex(serverNamePattern, serverNameRule)
    .optional()
    .describe("The server_name metric label; defaults to metadata.name."),
  replicas: z.number().int().min(0).max(1000).default(1),
  sidecar: sidecarSpecSchema.default({ port: 4000, metricsPort: 9464 }),
  telemetry: telemetrySpecSchema.optional(),
  podTemplate: podTemplateOverridesSchema.optional(),
});

export const conditionSchema = z.object({
  type: z.string(),
  status: z.enum(["True", "False", "Unknown"]),
  reason: z.string(),
  message: z.string(),
  lastTransitionTime: z.string(),
  observedGeneration: z.number().int().optional(),
});

export const mcpServerStatusSchema = z.object({
  conditions: z.array(conditionSchema).optional(),
  observedGeneration: z.number().int().optional(),
  readyReplicas: z.number().int().optional(),
  url: z.string().optional(),
  serverName: z.string().optional(),
});

export type McpServerSpec = z.output<typeof mcpServerSpecSchema>;
export type McpServerStatus = z.output<typeof mcpServerStatusSchema>;
export type Condition = z.output<typeof conditionSchema>;

export { dnsLabel };
