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

const portNumber = z.number().int().min(1).max(65535);

/** A quantity ("500m", "128Mi") or a plain number, as Kubernetes resource lists take them. */
const quantity = z.union([z.string(), z.number()]);

/** Caught here, not by the Deployment's API (which answers a garbage quantity with an opaque error). */
const quantities = z.record(z.string(), quantity).meta({
  // Bounds the rule's cost estimate (the API server refuses unbounded CEL).
  maxProperties: 8,
  "x-kubernetes-validations": [
    {
      rule: "self.all(k, type(self[k]) == int || isQuantity(string(self[k])))",
      message: 'every value must be a quantity such as "500m", "128Mi" or 2',
    },
  ],
});

const resources = z
  .object({
    limits: quantities.optional(),
    requests: quantities.optional(),
  })
  .describe("Compute resources, as in a container spec.");

/** Kept open-ended: a full core/v1 EnvVar (valueFrom…) is validated by the API server on the Deployment. */
const envVar = z
  .object({ name: z.string().min(1), value: z.string().optional() })
  .catchall(z.unknown())
  .meta({ "x-kubernetes-preserve-unknown-fields": true });

/** A list keyed by name, as a container's env: the API server refuses duplicate names itself. */
const envList = z.array(envVar).meta({ "x-kubernetes-list-type": "map", "x-kubernetes-list-map-keys": ["name"] });

const envFromSource = z.record(z.string(), z.unknown()).meta({ "x-kubernetes-preserve-unknown-fields": true });

const openObject = z.record(z.string(), z.unknown()).meta({ "x-kubernetes-preserve-unknown-fields": true });

/**
 * Volume sources an McpServer author may use: data the namespace already holds for them. hostPath,
 * nfs, iscsi, csi and the like are the cluster admin's (they reach the node or the network's storage).
 * Secrets named here are checked against what the author may read (the chart's admission policy).
 */
export const safeVolumeSources = [
  "configMap",
  "secret",
  "emptyDir",
  "projected",
  "downwardAPI",
  "persistentVolumeClaim",
  "ephemeral",
] as const;

const volume = z
  .object({
    name: z.string().min(1).max(63),
    ...Object.fromEntries(safeVolumeSources.map((source) => [source, openObject.optional()])),
  })
  .strict()
  .meta({
    "x-kubernetes-validations": [
      {
        rule: `[${safeVolumeSources.map((s) => `has(self.${s})`).join(", ")}].filter(x, x).size() == 1`,
        message: `each volume needs exactly one source, of ${safeVolumeSources.join(", ")}`,
      },
    ],
  });

/**
 * The part of the pod spec an McpServer may set: scheduling, safe volumes and pull secrets. The rest
 * (hostPID, hostNetwork, serviceAccountName, nodeName, init containers, pod securityContext…) is
 * refused by the API server (an unknown field) and never copied; a cluster admin sets such fields for
 * every McpServer pod through the operator's own configuration (chart value operator.mcpServerPodDefaults).
 */
export const podSpecOverridesSchema = z
  .object({
    nodeSelector: z.record(z.string(), z.string()).optional(),
    affinity: openObject.optional(),
    tolerations: z.array(openObject).optional(),
    topologySpreadConstraints: z.array(openObject).optional(),
    volumes: z.array(volume).max(64).optional(),
    imagePullSecrets: z.array(z.object({ name: z.string().min(1) }).strict()).optional(),
    /** The pod's own containers share a PID namespace (not the host's): e.g. to signal the server. */
    shareProcessNamespace: z.boolean().optional(),
  })
  .strict()
  .describe(
    "Scheduling (nodeSelector, affinity, tolerations, topologySpreadConstraints), volumes of safe types and imagePullSecrets, merged into the generated pod spec.",
  );

export const podTemplateOverridesSchema = z
  .object({
    metadata: z
      .object({
        labels: z.record(z.string(), z.string()).optional(),
        annotations: z.record(z.string(), z.string()).optional(),
      })
      .strict()
      .optional(),
    spec: podSpecOverridesSchema.optional(),
  })
  .strict();

/**
 * The server container's securityContext, within the restricted Pod Security profile: the operator
 * always sets runAsNonRoot, no privilege escalation, capabilities drop ALL and RuntimeDefault seccomp.
 */
export const serverSecurityContextSchema = z
  .object({
    runAsUser: z.number().int().min(1).optional().describe("Non-zero uid; defaults to 1000."),
    runAsGroup: z.number().int().min(1).optional(),
    readOnlyRootFilesystem: z
      .boolean()
      .optional()
      .describe("Default true (a writable emptyDir is mounted at /tmp); false for servers that write elsewhere."),
    capabilities: z
      .object({ add: z.array(z.literal("NET_BIND_SERVICE")).optional() })
      .strict()
      .optional()
      .describe("Only NET_BIND_SERVICE may be added (restricted profile); everything else is dropped."),
  })
  .strict();

/** The sidecar's transports plus stdio, where the sidecar runs the server's command itself. */
export const transports = [...upstreamTransports, "stdio"] as const;
export type McpServerTransport = (typeof transports)[number];

export const serverSpecSchema = z
  .object({
    image: z.string().min(1).describe("Container image of the MCP server."),
    command: z.array(z.string()).optional().describe("Entrypoint override; for stdio, the server's command line."),
    args: z.array(z.string()).optional(),
    env: envList.optional(),
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
    securityContext: serverSecurityContextSchema.optional(),
    volumeMounts: z
      .array(
        z
          .object({
            name: z.string().min(1),
            mountPath: z.string().startsWith("/"),
            readOnly: z.boolean().optional(),
            subPath: z.string().optional(),
          })
          .strict(),
      )
      .optional()
      .describe("Mounts of spec.podTemplate.spec.volumes into the server container."),
  })
  .meta({
    "x-kubernetes-validations": [
      {
        rule: "self.transport != 'stdio' || (has(self.command) && size(self.command) > 0)",
        message: "spec.server.command is required when transport is stdio: the sidecar runs that command",
      },
    ],
  });

export const sidecarSpecSchema = z
  .object({
    image: z.string().min(1).optional().describe("Sidecar image; defaults to the operator's configured image."),
    port: portNumber.default(4000),
    metricsPort: portNumber.default(9464),
    resources: resources.optional(),
    env: envList.optional().describe("Extra environment for the sidecar (e.g. LOG_LEVEL)."),
  })
  .meta({
    "x-kubernetes-validations": [
      { rule: "self.port != self.metricsPort", message: "spec.sidecar.port and spec.sidecar.metricsPort must differ" },
    ],
  });

export const telemetrySpecSchema = z.object({
  otlpEndpoint: z
    .string()
    .regex(httpUrlPattern, httpUrlRule)
    .optional()
    .describe("OTLP/HTTP endpoint the sidecar pushes to; unset means Prometheus pull only."),
  serviceName: z.string().min(1).optional(),
});

export const autoscalingSpecSchema = z
  .object({
    minReplicas: z
      .number()
      .int()
      .min(1)
      .max(1000)
      .default(1)
      .describe("Fewest replicas the autoscaler keeps (1-1000); default 1."),
    maxReplicas: z
      .number()
      .int()
      .min(1)
      .max(1000)
      .describe("Most replicas the autoscaler may run (1-1000, at least minReplicas); required."),
    targetCPUUtilizationPercentage: z
      .number()
      .int()
      .min(1)
      .max(1000)
      .default(80)
      .describe(
        "Average CPU use the autoscaler aims for, in percent of the pods' CPU requests (1-1000); default 80. Every container needs a CPU request: set spec.server.resources.requests.cpu (the sidecar has one by default).",
      ),
  })
  .strict()
  .meta({
    "x-kubernetes-validations": [
      { rule: "self.minReplicas <= self.maxReplicas", message: "minReplicas must not exceed maxReplicas" },
    ],
  })
  .describe(
    "Scale with load: rendered as an autoscaling/v2 HorizontalPodAutoscaler of the McpServer's Deployment, which then owns the replica count (spec.replicas is ignored). Sessions stay with their replica (see the README's Replicas section); a replica removed by scale-down ends its sessions with 404.",
  );

export const mcpServerSpecSchema = z
  .object({
    server: serverSpecSchema,
    serverName: z
      .string()
      .max(63)
      .regex(serverNamePattern, serverNameRule)
      .optional()
      .describe("The server_name metric label; defaults to metadata.name."),
    replicas: z.number().int().min(0).max(1000).default(1),
    autoscaling: autoscalingSpecSchema.optional(),
    sidecar: sidecarSpecSchema.default({ port: 4000, metricsPort: 9464 }),
    telemetry: telemetrySpecSchema.optional(),
    podTemplate: podTemplateOverridesSchema.optional(),
  })
  .meta({
    "x-kubernetes-validations": [
      {
        rule: "self.server.transport == 'stdio' || (self.server.port != self.sidecar.port && self.server.port != self.sidecar.metricsPort)",
        message:
          "spec.server.port must differ from spec.sidecar.port and spec.sidecar.metricsPort: they share the pod's network",
      },
      {
        // CPU utilisation is measured against requests: a container without one leaves the autoscaler blind.
        rule: "!has(self.autoscaling) || self.server.transport == 'stdio' || (has(self.server.resources) && has(self.server.resources.requests) && 'cpu' in self.server.resources.requests)",
        message: "spec.autoscaling needs spec.server.resources.requests.cpu: CPU utilisation is measured against it",
      },
    ],
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
