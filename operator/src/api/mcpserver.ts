import {
  defaultSidecarPorts,
  httpUrlPattern,
  httpUrlRule,
  parseSloDurationSeconds,
  parseSloPercent,
  serverNamePattern,
  serverNameRule,
  sloDurationPattern,
  sloDurationRule,
  sloPercentPattern,
  sloPercentRule,
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
    limits: quantities
      .optional()
      .describe(
        'Most of each resource the container may use: a resource name (cpu, memory, ephemeral-storage…) to a quantity such as "500m", "128Mi" or 2; at most 8 entries.',
      ),
    requests: quantities
      .optional()
      .describe(
        "Resources the container is scheduled with (reserved on the node): the same form as limits; at most 8 entries.",
      ),
  })
  .describe("Compute resources, as in a container spec.");

/** Kept open-ended: a full core/v1 EnvVar (valueFrom…) is validated by the API server on the Deployment. */
const envVar = z
  .object({
    name: z.string().min(1).describe("Name of the environment variable; unique in the list."),
    value: z
      .string()
      .optional()
      .describe("Literal value; or leave it out and give valueFrom (secretKeyRef, configMapKeyRef, fieldRef…)."),
  })
  .catchall(z.unknown())
  .meta({ "x-kubernetes-preserve-unknown-fields": true });

/** A list keyed by name, as a container's env: the API server refuses duplicate names itself. */
const envList = z.array(envVar).meta({ "x-kubernetes-list-type": "map", "x-kubernetes-list-map-keys": ["name"] });

const envFromSource = z.record(z.string(), z.unknown()).meta({ "x-kubernetes-preserve-unknown-fields": true });

const openObject = z.record(z.string(), z.unknown()).meta({ "x-kubernetes-preserve-unknown-fields": true });

/** What each safe volume source holds, for `kubectl explain`; keyed by safeVolumeSources. */
const volumeSourceDescriptions: Record<(typeof safeVolumeSources)[number], string> = {
  configMap: "A ConfigMap of the namespace, its keys as files (core/v1 ConfigMapVolumeSource).",
  secret: "A Secret of the namespace, its keys as files (core/v1 SecretVolumeSource).",
  emptyDir: "A scratch directory that lives as long as the pod (core/v1 EmptyDirVolumeSource).",
  projected:
    "ConfigMaps, Secrets, the downward API and service account tokens in one directory (core/v1 ProjectedVolumeSource).",
  downwardAPI: "The pod's own metadata and resources as files (core/v1 DownwardAPIVolumeSource).",
  persistentVolumeClaim: "A PersistentVolumeClaim of the namespace (core/v1 PersistentVolumeClaimVolumeSource).",
  ephemeral:
    "A volume provisioned for the pod from a claim template and deleted with it (core/v1 EphemeralVolumeSource).",
};

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
    name: z
      .string()
      .min(1)
      .max(63)
      .describe(
        "Name of the volume, unique in the pod (1-63 characters); spec.server.volumeMounts[].name refers to it.",
      ),
    ...Object.fromEntries(
      safeVolumeSources.map((source) => [source, openObject.optional().describe(volumeSourceDescriptions[source])]),
    ),
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
    nodeSelector: z
      .record(z.string(), z.string())
      .optional()
      .describe("Labels a node must carry to run these pods (label key to value), as in a pod spec."),
    affinity: openObject
      .optional()
      .describe("Node affinity and pod (anti-)affinity rules, as in a pod spec (core/v1 Affinity)."),
    tolerations: z
      .array(openObject)
      .optional()
      .describe("Taints these pods tolerate, as in a pod spec (core/v1 Toleration)."),
    topologySpreadConstraints: z
      .array(openObject)
      .optional()
      .describe("How the replicas spread over zones or nodes, as in a pod spec (core/v1 TopologySpreadConstraint)."),
    volumes: z
      .array(volume)
      .max(64)
      .optional()
      .describe(
        `Volumes the server container may mount (spec.server.volumeMounts); at most 64, each with exactly one source of ${safeVolumeSources.join(", ")}. Other sources (hostPath, nfs, iscsi, csi…) reach the node or the network's storage and are refused: they are the cluster admin's. A Secret or ConfigMap named here must be one the McpServer's author may read (the chart's admission policy).`,
      ),
    imagePullSecrets: z
      .array(
        z
          .object({
            name: z
              .string()
              .min(1)
              .describe("Name of a Secret in the namespace (type kubernetes.io/dockerconfigjson)."),
          })
          .strict(),
      )
      .optional()
      .describe("Secrets of the namespace holding the registry credentials to pull spec.server.image."),
    /** The pod's own containers share a PID namespace (not the host's): e.g. to signal the server. */
    shareProcessNamespace: z
      .boolean()
      .optional()
      .describe(
        "The pod's containers share one process namespace (the pod's, never the host's), e.g. so one can signal the server; default false.",
      ),
  })
  .strict()
  .describe(
    "Scheduling (nodeSelector, affinity, tolerations, topologySpreadConstraints), volumes of safe types, imagePullSecrets and shareProcessNamespace, merged into the generated pod spec; the operator's containers, its /tmp volume and the restricted pod securityContext always win.",
  );

export const podTemplateOverridesSchema = z
  .object({
    metadata: z
      .object({
        labels: z
          .record(z.string(), z.string())
          .optional()
          .describe(
            "Labels added to each pod; the operator's own (app.kubernetes.io/*, mcpscope.dev/*) win on a clash.",
          ),
        annotations: z
          .record(z.string(), z.string())
          .optional()
          .describe("Annotations added to each pod; the operator's prometheus.io/* annotations win on a clash."),
      })
      .strict()
      .optional()
      .describe("Labels and annotations added to the pods."),
    spec: podSpecOverridesSchema.optional(),
  })
  .strict()
  .describe(
    "What an McpServer may add to its pods: labels, annotations, scheduling, volumes of safe types, imagePullSecrets and shareProcessNamespace. Any other pod field (hostNetwork, hostPID, serviceAccountName, nodeName, initContainers, the pod securityContext…) is refused by the API server as unknown: it would let the McpServer's author act beyond the namespace's limits. A cluster admin sets such fields for every McpServer pod through the operator (chart value operator.mcpServerPodDefaults).",
  );

/**
 * The server container's securityContext, within the restricted Pod Security profile: the operator
 * always sets runAsNonRoot, no privilege escalation, capabilities drop ALL and RuntimeDefault seccomp.
 */
export const serverSecurityContextSchema = z
  .object({
    runAsUser: z.number().int().min(1).optional().describe("Non-zero uid the server runs as; default 1000."),
    runAsGroup: z
      .number()
      .int()
      .min(1)
      .optional()
      .describe("Non-zero gid the server runs as; unset means the image's group."),
    readOnlyRootFilesystem: z
      .boolean()
      .optional()
      .describe("Default true (a writable emptyDir is mounted at /tmp); false for servers that write elsewhere."),
    capabilities: z
      .object({
        add: z
          .array(z.literal("NET_BIND_SERVICE"))
          .optional()
          .describe("Capabilities to add: only NET_BIND_SERVICE, to listen on a port below 1024."),
      })
      .strict()
      .optional()
      .describe("Only NET_BIND_SERVICE may be added (restricted profile); everything else is dropped."),
  })
  .strict()
  .describe(
    "The server container's securityContext, within the restricted Pod Security profile: the operator always sets runAsNonRoot, allowPrivilegeEscalation false, capabilities drop ALL and the RuntimeDefault seccomp profile; only these fields may be chosen.",
  );

/** The sidecar's transports plus stdio, where the sidecar runs the server's command itself. */
export const transports = [...upstreamTransports, "stdio"] as const;
export type McpServerTransport = (typeof transports)[number];

export const serverSpecSchema = z
  .object({
    image: z
      .string()
      .min(1)
      .describe(
        "Container image of the MCP server. For transport stdio, an image built FROM the sidecar image: the sidecar runs the server's command in the same container.",
      ),
    command: z
      .array(z.string())
      .optional()
      .describe(
        "Entrypoint override (the image's ENTRYPOINT otherwise). Required for transport stdio: the command line the sidecar starts and speaks JSON-RPC with over stdin/stdout.",
      ),
    args: z
      .array(z.string())
      .optional()
      .describe("Arguments to the command (the image's CMD otherwise); for stdio, appended to command."),
    env: envList
      .optional()
      .describe(
        "Environment of the server container, as in a container spec (value or valueFrom); names are unique. PORT is set to spec.server.port unless given here.",
      ),
    envFrom: z
      .array(envFromSource)
      .optional()
      .describe(
        "ConfigMaps and Secrets of the namespace whose keys become environment variables of the server container, as in a container spec (configMapRef, secretRef, prefix).",
      ),
    port: portNumber
      .default(3001)
      .describe(
        "Port the server listens on inside the pod (HTTP transports); the sidecar forwards to 127.0.0.1 on it. 1-65535, default 3001; must differ from the sidecar's port and metricsPort. Not used for stdio.",
      ),
    path: z
      .string()
      .startsWith("/")
      .optional()
      .describe(
        "The server's MCP endpoint path, used by health checks; defaults to /mcp (streamable-http) or /sse (sse).",
      ),
    transport: z
      .enum(transports)
      .default("streamable-http")
      .describe(
        "How the sidecar speaks to the server: streamable-http (default: MCP Streamable HTTP at path), sse (the older HTTP+SSE transport) or stdio (the sidecar starts command itself and serves it as Streamable HTTP at /mcp).",
      ),
    resources: resources
      .optional()
      .describe(
        "Compute resources of the server container (limits, requests), as in a container spec; unset means none (a LimitRange of the namespace may set them). For stdio, of the one container, defaulting to spec.sidecar.resources.",
      ),
    securityContext: serverSecurityContextSchema.optional(),
    volumeMounts: z
      .array(
        z
          .object({
            name: z.string().min(1).describe("Name of a volume in spec.podTemplate.spec.volumes."),
            mountPath: z
              .string()
              .startsWith("/")
              .describe("Absolute path in the server container where the volume appears."),
            readOnly: z.boolean().optional().describe("Mount it read-only; default false."),
            subPath: z
              .string()
              .optional()
              .describe("A path inside the volume to mount instead of its root; default the root."),
          })
          .strict(),
      )
      .optional()
      .describe("Mounts of spec.podTemplate.spec.volumes into the server container."),
  })
  .describe("The MCP server's container: its image, how it starts and how the sidecar reaches it.")
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
    image: z
      .string()
      .min(1)
      .optional()
      .describe("Sidecar image; defaults to the operator's configured image (the chart's image.sidecar)."),
    port: portNumber
      .default(defaultSidecarPorts.mcp)
      .describe(
        `Port the sidecar serves MCP (and /health) on: the Service's port "mcp", in status.url. 1-65535, default ${defaultSidecarPorts.mcp}.`,
      ),
    metricsPort: portNumber
      .default(defaultSidecarPorts.metrics)
      .describe(
        `Port of the sidecar's Prometheus /metrics: the Service's port "metrics" and the pods' prometheus.io/port. 1-65535, default ${defaultSidecarPorts.metrics}; must differ from port.`,
      ),
    resources: resources
      .optional()
      .describe(
        "Compute resources of the sidecar container (limits, requests); default requests cpu 50m and memory 64Mi (128Mi for a stdio server, which runs in this container), limit memory 256Mi.",
      ),
    env: envList
      .optional()
      .describe("Extra environment for the sidecar (e.g. LOG_LEVEL); a name given here wins over the operator's."),
  })
  .describe(
    `The mcpscope sidecar in front of the server: every MCP request reaches the server through it and is counted. Default port ${defaultSidecarPorts.mcp}, metricsPort ${defaultSidecarPorts.metrics}.`,
  )
  .meta({
    "x-kubernetes-validations": [
      { rule: "self.port != self.metricsPort", message: "spec.sidecar.port and spec.sidecar.metricsPort must differ" },
    ],
  });

export const telemetrySpecSchema = z
  .object({
    otlpEndpoint: z
      .string()
      .regex(httpUrlPattern, httpUrlRule)
      .optional()
      .describe(
        "OTLP/HTTP endpoint the sidecar pushes metrics and traces to, an http(s) URL such as http://otel-collector:4318; defaults to the operator's (the chart's telemetry.otlpEndpoint or its bundled collector). With neither, Prometheus pull only.",
      ),
    serviceName: z
      .string()
      .min(1)
      .optional()
      .describe("OpenTelemetry service.name of the sidecar's metrics and spans; default mcp-sidecar-<serverName>."),
  })
  .describe("Where the sidecar sends its OpenTelemetry data, and under which service name.");

/**
 * A percent such as "99.9", strictly between 0 and 100. A string, not a number, so "99.90" and "99.9"
 * reach the sidecar as written and no float is rounded on the way. maxLength bounds the CEL cost.
 */
const sloPercent = z
  .string()
  .max(16)
  .refine((v) => parseSloPercent(v) !== undefined, sloPercentRule)
  .meta({
    "x-kubernetes-validations": [
      {
        rule: `self.matches('${sloPercentPattern.source}') && double(self) > 0.0`,
        message: sloPercentRule,
      },
    ],
  });

const sloDuration = z
  .string()
  .max(16)
  .refine((v) => parseSloDurationSeconds(v) !== undefined, sloDurationRule)
  .meta({
    "x-kubernetes-validations": [
      {
        rule: `self.matches('${sloDurationPattern.source}') && duration(self) > duration('0s')`,
        message: sloDurationRule,
      },
    ],
  });

export const sloSpecSchema = z
  .object({
    availability: sloPercent
      .optional()
      .describe(
        'Availability objective: the percent of requests that must not end in a server fault, e.g. "99.9". Caller mistakes (invalid params, unknown method…) count as good; input_required and cancelled requests do not count. Default: the chart\'s slo.defaults.availability ("99.9").',
      ),
    latency: z
      .object({
        threshold: sloDuration.describe(
          'A request is fast enough when answered within this duration: a number and ms, s or m, e.g. "500ms". Becomes a bucket boundary of mcp_request_duration_seconds.',
        ),
        objective: sloPercent.describe(
          'The percent of requests that must be answered within the threshold, strictly between 0 and 100, e.g. "99".',
        ),
      })
      .strict()
      .optional()
      .describe("Latency objective. Default: the chart's slo.defaults.latency (none unless set)."),
  })
  .strict()
  .describe(
    "Service level objectives: exported by the sidecar as mcp_slo_objective_ratio and watched by the McpErrorBudgetBurn and McpLatencyBudgetBurn burn-rate alerts. Each objective left out takes the installation's default (chart value slo.defaults).",
  );

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
      .describe(
        `The server_name label of every metric and span of this server; defaults to metadata.name. It ${serverNameRule}.`,
      ),
    replicas: z
      .number()
      .int()
      .min(0)
      .max(1000)
      .default(1)
      .describe(
        "Number of pods (server and sidecar) to run; 0-1000, default 1. 0 stops the server but keeps its Service. Ignored when spec.autoscaling is set.",
      ),
    autoscaling: autoscalingSpecSchema.optional(),
    sidecar: sidecarSpecSchema.default({ port: defaultSidecarPorts.mcp, metricsPort: defaultSidecarPorts.metrics }),
    telemetry: telemetrySpecSchema.optional(),
    podTemplate: podTemplateOverridesSchema.optional(),
    slo: sloSpecSchema.optional(),
  })
  .describe(
    "The MCP server to run: its container, the mcpscope sidecar in front of it, where telemetry goes and what is added to its pods.",
  )
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
  type: z.string().describe("Ready, Progressing or Degraded."),
  status: z.enum(["True", "False", "Unknown"]).describe("True, False or Unknown."),
  reason: z
    .string()
    .describe(
      "Why, in one CamelCase word: MinimumReplicasReady, ReplicasNotReady, RolloutComplete, RollingOut, Reconciled, PodsNotCreated, InvalidSpec, ApplyFailed or ApplyError.",
    ),
  message: z.string().describe("What happened, for a person to read."),
  lastTransitionTime: z.string().describe("When status last changed (RFC 3339)."),
  observedGeneration: z.number().int().optional().describe("The metadata.generation this condition was computed for."),
});

export const mcpServerStatusSchema = z
  .object({
    conditions: z
      .array(conditionSchema)
      .optional()
      .describe(
        "Ready (every replica ready), Progressing (a rollout is under way) and Degraded (the spec could not be applied, or its pods cannot be created).",
      ),
    observedGeneration: z
      .number()
      .int()
      .optional()
      .describe("The metadata.generation of the spec the operator last acted on."),
    readyReplicas: z.number().int().optional().describe("Pods whose server and sidecar are both ready."),
    url: z
      .string()
      .optional()
      .describe(
        "In-cluster URL of the MCP endpoint, through the sidecar: http://<service>.<namespace>.svc:<port><path>.",
      ),
    serverName: z.string().optional().describe("The server_name label this server's metrics carry."),
  })
  .describe("What the operator observed: conditions, ready replicas and where the server is reached.");

export type McpServerSpec = z.output<typeof mcpServerSpecSchema>;
export type SloSpec = z.output<typeof sloSpecSchema>;
export type McpServerStatus = z.output<typeof mcpServerStatusSchema>;
export type Condition = z.output<typeof conditionSchema>;
