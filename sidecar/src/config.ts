// zod's mini build: the same validation with functions that bundle apart, and no error locale loaded (every
// message is ours). The classic API cost the sidecar 0.6–0.9 MB more RSS idle (README "The bill").
import * as z from "zod/mini";
import {
  defaultMcpPath,
  defaultSidecarPorts,
  httpUrlRule,
  isHttpUrl,
  serverNamePattern,
  serverNameRule,
  upstreamTransports,
} from "./contract.js";
import { defaultStdioMaxSessions, SidecarEnv as E } from "./env-names.js";
import { ConfigError } from "./errors.js";
import { canonicalIp } from "./replicas/session-id.js";
import { parseSloDurationSeconds, parseSloPercent, sloDurationRule, sloPercentRule } from "./slo/objectives.js";
import { tracingEnabled } from "./telemetry/trace-provider.js";

const logLevels = ["fatal", "error", "warn", "info", "debug", "trace", "silent"] as const;

const trimmed = (...checks: z.core.$ZodCheck<string>[]) => z.string().check(z.trim(), ...checks);

const httpUrl = trimmed(z.refine(isHttpUrl, httpUrlRule));

const nonEmpty = trimmed(z.minLength(1, "must not be empty"));

const integer = (min: number, max: number, fallback: number) =>
  z.pipe(
    z.optional(
      z.pipe(
        z.pipe(trimmed(z.regex(/^\d+$/, "must be a whole number")), z.transform(Number)),
        // A number only fails as one when its digits overflow to Infinity.
        z
          .number({ error: `must be at most ${max}` })
          .check(z.minimum(min, `must be at least ${min}`), z.maximum(max, `must be at most ${max}`)),
      ),
    ),
    z.transform((value: number | undefined) => value ?? fallback),
  );

const port = (fallback: number) => integer(1, 65535, fallback);

/** Prometheus label values stay readable and bounded; Kubernetes names already fit this. */
const serverName = trimmed(z.regex(serverNamePattern, serverNameRule));

/**
 * A value read by `read`, which gives it, or refuses it with its message. A refusal aborts: the checks
 * across variables below would otherwise run on it and add messages of their own.
 */
const readWith = <I, O>(read: (input: I) => { value: O } | { problem: string }) =>
  z.transform((input: I, ctx) => {
    const result = read(input);
    if ("value" in result) return result.value;
    ctx.issues.push({ code: "custom", message: result.problem, input, continue: false });
    return z.NEVER;
  });

/** A string read by `parse`, refused with `rule` when it gives undefined. */
const parsedBy = (parse: (value: string) => number | undefined, rule: string) =>
  z.pipe(
    trimmed(),
    readWith((value: string) => {
      const parsed = parse(value);
      return parsed === undefined ? { problem: rule } : { value: parsed };
    }),
  );
const sloPercent = parsedBy(parseSloPercent, sloPercentRule);
const sloDuration = parsedBy(parseSloDurationSeconds, sloDurationRule);

/** OTEL_RESOURCE_ATTRIBUTES' key=value pairs (percent-encoded), or what is wrong with the first bad one. */
function parseResourceAttributes(value: string): { value: Record<string, string> } | { problem: string } {
  const attributes: Record<string, string> = {};
  for (const pair of value.split(",")) {
    if (pair.trim() === "") continue;
    const eq = pair.indexOf("=");
    if (eq <= 0) return { problem: `must be key=value pairs separated by commas, "${pair}" is not` };
    try {
      attributes[decodeURIComponent(pair.slice(0, eq).trim())] = decodeURIComponent(pair.slice(eq + 1).trim());
    } catch {
      return { problem: `must be percent-encoded, "${pair}" holds a malformed %-escape` };
    }
  }
  return { value: attributes };
}

const resourceAttributes = z.pipe(
  z.optional(z.string()),
  readWith((value: string | undefined) => parseResourceAttributes(value ?? "")),
);

const envSchema = z
  .object({
    [E.upstreamUrl]: z.optional(httpUrl),
    [E.upstreamCommand]: z.optional(nonEmpty),
    [E.upstreamName]: serverName,
    [E.upstreamTransport]: z.optional(z.enum(upstreamTransports, `must be one of ${upstreamTransports.join(", ")}`)),
    [E.upstreamPath]: z.optional(trimmed(z.startsWith("/", "must start with /"))),
    [E.upstreamTimeoutMs]: integer(100, 3_600_000, 120_000),
    [E.connectTimeoutMs]: integer(100, 600_000, 5_000),
    [E.maxBodyBytes]: integer(1024, 1024 ** 3, 4 * 1024 * 1024),
    [E.maxToolNames]: integer(1, 10_000, 500),
    [E.contextCost]: z._default(z.optional(z.enum(["on", "off"], "must be on or off")), "on"),
    [E.toolLatency]: z._default(z.optional(z.enum(["on", "off"], "must be on or off")), "off"),
    [E.sessionIdleTimeoutMs]: integer(1_000, 86_400_000, 3_600_000),
    [E.requestTimeoutMs]: integer(1_000, 3_600_000, 30_000),
    [E.stdioMaxSessions]: integer(1, 10_000, defaultStdioMaxSessions),
    [E.stdioSessionIdleMs]: integer(1_000, 86_400_000, 300_000),
    [E.healthCacheMs]: integer(0, 600_000, 5_000),
    [E.healthTimeoutMs]: integer(100, 60_000, 3_000),
    [E.healthIntervalMs]: integer(1_000, 3_600_000, 15_000),
    [E.shutdownGraceMs]: integer(0, 3_600_000, 10_000),
    [E.sloAvailability]: z.optional(sloPercent),
    [E.sloLatencyThreshold]: z.optional(sloDuration),
    [E.sloLatencyObjective]: z.optional(sloPercent),
    [E.podIp]: z.optional(trimmed(z.refine((v) => canonicalIp(v) !== undefined, "must be an IPv4 or IPv6 address"))),
    [E.replicaPeers]: z.optional(nonEmpty),
    [E.host]: z._default(z.optional(nonEmpty), "0.0.0.0"),
    [E.port]: port(defaultSidecarPorts.mcp),
    [E.metricsHost]: z._default(z.optional(nonEmpty), "0.0.0.0"),
    [E.metricsPort]: port(defaultSidecarPorts.metrics),
    [E.logLevel]: z._default(z.optional(z.enum(logLevels, `must be one of ${logLevels.join(", ")}`)), "info"),
    [E.otelServiceName]: z.optional(nonEmpty),
    [E.otelEndpoint]: z.optional(httpUrl),
    [E.otelMetricsEndpoint]: z.optional(httpUrl),
    [E.otelExportIntervalMs]: integer(100, 3_600_000, 15_000),
    [E.otelResourceAttributes]: resourceAttributes,
    [E.otelSdkDisabled]: z.optional(z.string()),
    [E.otelTracesExporter]: z.optional(z.string()),
    [E.otelTracesEndpoint]: z.optional(httpUrl),
  })
  .check(
    z.superRefine((env, ctx) => {
      const hasUrl = env[E.upstreamUrl] !== undefined;
      const hasCommand = env[E.upstreamCommand] !== undefined;
      if (hasUrl === hasCommand) {
        ctx.addIssue({
          code: "custom",
          path: [hasUrl ? E.upstreamCommand : E.upstreamUrl],
          message: hasUrl
            ? `cannot be set together with ${E.upstreamUrl}: give the upstream's URL or a stdio command, not both`
            : `is required (or set ${E.upstreamCommand} to run a stdio MCP server)`,
        });
      }
      // A latency objective is a threshold and a share of requests under it: one without the other means nothing.
      const hasThreshold = env[E.sloLatencyThreshold] !== undefined;
      if (hasThreshold !== (env[E.sloLatencyObjective] !== undefined)) {
        ctx.addIssue({
          code: "custom",
          path: [hasThreshold ? E.sloLatencyObjective : E.sloLatencyThreshold],
          message: `is required with ${hasThreshold ? E.sloLatencyThreshold : E.sloLatencyObjective}: a latency objective is both`,
        });
      }
      if ((env[E.podIp] === undefined) !== (env[E.replicaPeers] === undefined)) {
        const missing = env[E.podIp] === undefined ? E.podIp : E.replicaPeers;
        const other = missing === E.podIp ? E.replicaPeers : E.podIp;
        ctx.addIssue({
          code: "custom",
          path: [missing],
          message: `is required when ${other} is set: session routing between replicas needs both`,
        });
      }
      // A port that failed its own check is still the text given: two such are no clash.
      if (typeof env[E.port] === "number" && env[E.port] === env[E.metricsPort]) {
        ctx.addIssue({
          code: "custom",
          path: [E.metricsPort],
          message: `must differ from ${E.port}`,
        });
      }
    }),
  );

export type SidecarConfig = ReturnType<typeof toConfig>;

function toConfig(env: z.output<typeof envSchema>) {
  const transport = env[E.upstreamTransport] ?? "streamable-http";
  const name = env[E.upstreamName];
  const givenPodIp = env[E.podIp];
  const podIp = givenPodIp === undefined ? undefined : canonicalIp(givenPodIp);
  const peers = env[E.replicaPeers];
  const otlpBase = env[E.otelEndpoint];
  return {
    upstream: {
      /** undefined in command mode: main.ts fills it with the stdio bridge's loopback URL. */
      url: env[E.upstreamUrl],
      command: env[E.upstreamCommand],
      transport,
      /** The MCP endpoint on the upstream, relative to its URL; only health checks use it. */
      mcpPath: env[E.upstreamPath] ?? defaultMcpPath[transport],
      timeoutMs: env[E.upstreamTimeoutMs],
      connectTimeoutMs: env[E.connectTimeoutMs],
    },
    /** Command mode: the stdio bridge's session slots and when an idle session's client counts as gone. */
    stdio: { maxSessions: env[E.stdioMaxSessions], sessionIdleMs: env[E.stdioSessionIdleMs] },
    serverName: name,
    /**
     * Session routing between replicas: on when both are set. Peers are reached on this sidecar's own
     * port (every replica runs the same pod template).
     */
    replicas: podIp !== undefined && peers !== undefined ? { podIp, peers } : undefined,
    listen: { host: env[E.host], port: env[E.port] },
    metrics: { host: env[E.metricsHost], port: env[E.metricsPort] },
    limits: {
      maxBodyBytes: env[E.maxBodyBytes],
      maxToolNames: env[E.maxToolNames],
      sessionIdleTimeoutMs: env[E.sessionIdleTimeoutMs],
      requestTimeoutMs: env[E.requestTimeoutMs],
    },
    health: {
      cacheMs: env[E.healthCacheMs],
      timeoutMs: env[E.healthTimeoutMs],
      intervalMs: env[E.healthIntervalMs],
    },
    shutdownGraceMs: env[E.shutdownGraceMs],
    slo: sloOf(env),
    /** The context-cost metrics: what tool catalogues, instructions and results cost a model's context. */
    contextCost: env[E.contextCost] === "on",
    /**
     * Latency per tool: the semconv duration histogram keyed by gen_ai.tool.name as well. Off by default,
     * it multiplies that histogram's series by the tools (README "Series per server").
     */
    toolLatency: env[E.toolLatency] === "on",
    logLevel: env[E.logLevel],
    otel: {
      serviceName: env[E.otelServiceName] ?? `mcp-sidecar-${name}`,
      metricsUrl: env[E.otelMetricsEndpoint] ?? (otlpBase ? `${otlpBase.replace(/\/+$/, "")}/v1/metrics` : undefined),
      exportIntervalMs: env[E.otelExportIntervalMs],
      resourceAttributes: env[E.otelResourceAttributes],
      /** One span per JSON-RPC request, exported by the OpenTelemetry SDK from the standard OTEL_* env. */
      tracing: tracingEnabled({
        OTEL_SDK_DISABLED: env[E.otelSdkDisabled],
        OTEL_TRACES_EXPORTER: env[E.otelTracesExporter],
        OTEL_EXPORTER_OTLP_ENDPOINT: otlpBase,
        OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: env[E.otelTracesEndpoint],
      }),
    },
  };
}

/** The objectives this server declares, as ratios and seconds; each is absent unless its env is set. */
export interface SloConfig {
  /** Share of requests that must not end in a server fault, e.g. 0.999. */
  availability?: number;
  /** Share of requests that must be answered within thresholdSeconds. */
  latency?: { thresholdSeconds: number; objective: number };
}

function sloOf(env: z.output<typeof envSchema>): SloConfig {
  const availability = env[E.sloAvailability];
  const thresholdSeconds = env[E.sloLatencyThreshold];
  const objective = env[E.sloLatencyObjective];
  return {
    ...(availability !== undefined ? { availability } : {}),
    ...(thresholdSeconds !== undefined && objective !== undefined ? { latency: { thresholdSeconds, objective } } : {}),
  };
}

/** The only place the sidecar reads its environment. Throws ConfigError listing every bad variable. */
export function loadConfig(env: Record<string, string | undefined>): SidecarConfig {
  const present: Record<string, string> = {};
  for (const key of Object.values(E)) {
    const value = env[key];
    if (value !== undefined && value !== "") present[key] = value;
  }
  const parsed = envSchema.safeParse(present);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((issue) => {
      const key = String(issue.path[0] ?? "environment");
      const raw = present[key];
      const message = issue.code === "invalid_type" && raw === undefined ? "is required" : issue.message;
      return raw === undefined ? `${key} ${message}` : `${key} ${message}, got "${raw}"`;
    });
    throw new ConfigError(problems);
  }
  return toConfig(parsed.data);
}
