import { hostname } from "node:os";
import {
  httpUrlRule,
  isHttpUrl,
  mcpscopeVersion,
  parseSloDurationSeconds,
  parseSloPercent,
  sloDurationRule,
  sloPercentRule,
} from "@mcpscope/sidecar/constants";
import { z } from "zod";

const bool = (fallback: boolean) =>
  z
    .enum(["true", "false"], { error: 'must be "true" or "false"' })
    .optional()
    .transform((v) => (v === undefined ? fallback : v === "true"));
/** An optional whole number in [min, max], `fallback` when unset. */
const wholeNumber = (what: string, min: number, max: number, fallback: number) =>
  z
    .string()
    .regex(/^\d+$/, `must be ${what}`)
    .transform(Number)
    .pipe(z.number().min(min, `must be at least ${min}`).max(max, `must be at most ${max}`))
    .optional()
    .transform((v) => v ?? fallback);
const port = (fallback: number) => wholeNumber("a port number", 1, 65535, fallback);
const seconds = (max: number, fallback: number) => wholeNumber("a whole number of seconds", 1, max, fallback);

/** An optional variable holding a JSON object (the chart renders values with toJson). */
const jsonObject = <T>(message: string) =>
  z
    .string()
    .optional()
    .transform((value, ctx): T | undefined => {
      if (value === undefined) return undefined;
      try {
        const parsed: unknown = JSON.parse(value);
        if (typeof parsed === "object" && parsed !== null && !Array.isArray(parsed)) return parsed as T;
      } catch {
        // reported below
      }
      ctx.addIssue({ code: "custom", message });
      return z.NEVER;
    });

/** An objective kept as written (the sidecar parses it again), refused here if the sidecar would refuse it. */
const sloString = (parse: (value: string) => number | undefined, rule: string) =>
  z
    .string()
    .refine((v) => parse(v) !== undefined, rule)
    .optional();

const envSchema = z.object({
  SIDECAR_IMAGE: z.string().min(1).default(`ghcr.io/mcpscope/sidecar:${mcpscopeVersion}`),
  OPERATOR_NAMESPACE: z.string().min(1).default("mcpscope-system"),
  POD_NAME: z.string().min(1).optional(),
  LEADER_ELECTION: bool(true),
  LEASE_NAME: z.string().min(1).default("mcpscope-operator"),
  LEASE_DURATION_SECONDS: seconds(300, 15),
  CONTROLLER_ENABLED: bool(true),
  WEBHOOK_ENABLED: bool(true),
  WEBHOOK_HOST: z.string().min(1).default("0.0.0.0"),
  WEBHOOK_PORT: port(9443),
  WEBHOOK_SERVICE_NAME: z.string().min(1).default("mcpscope-webhook"),
  WEBHOOK_CONFIGURATION_NAME: z.string().min(1).default("mcpscope-webhook"),
  WEBHOOK_SECRET_NAME: z.string().min(1).default("mcpscope-webhook-tls"),
  WEBHOOK_CERT_MODE: z
    .enum(["self-managed", "cert-manager"], { error: "must be self-managed or cert-manager" })
    .default("self-managed"),
  WEBHOOK_CERT_DIR: z.string().min(1).default("/tmp/k8s-webhook-server/serving-certs"),
  /**
   * How often every replica re-reads the webhook certificate (the Secret, or cert-manager's files) and
   * the caBundle: a deleted Secret is recreated, and after a renewal by one replica the others serve
   * the matching certificate within this time.
   */
  WEBHOOK_CERT_CHECK_SECONDS: seconds(3600, 10),
  WEBHOOK_EXTRA_IPS: z
    .string()
    .optional()
    .transform((v) =>
      v
        ? v
            .split(",")
            .map((s) => s.trim())
            .filter(Boolean)
        : [],
    ),
  NATIVE_SIDECARS: z.enum(["auto", "true", "false"], { error: "must be auto, true or false" }).default("auto"),
  OTLP_ENDPOINT: z.string().refine(isHttpUrl, httpUrlRule).optional(),
  /** The injected sidecar's resources (JSON resource requirements; chart webhook.sidecarResources). */
  SIDECAR_RESOURCES: jsonObject<{ requests?: Record<string, string>; limits?: Record<string, string> }>(
    'must be JSON resource requirements, e.g. {"requests":{"memory":"96Mi"}}',
  ),
  /** The admin's pod spec fields for every McpServer pod (JSON object; chart operator.mcpServerPodDefaults). */
  MCPSERVER_POD_DEFAULTS: jsonObject<Record<string, unknown>>("must be a JSON object of pod spec fields"),
  /** Objectives for servers that declare none (chart value slo.defaults); unset: none. */
  SLO_DEFAULT_AVAILABILITY: sloString(parseSloPercent, sloPercentRule),
  SLO_DEFAULT_LATENCY_THRESHOLD: sloString(parseSloDurationSeconds, sloDurationRule),
  SLO_DEFAULT_LATENCY_OBJECTIVE: sloString(parseSloPercent, sloPercentRule),
  /** Read to decide whether the operator traces; the OpenTelemetry SDK reads the rest of OTEL_* itself. */
  OTEL_SDK_DISABLED: z.string().optional(),
  OTEL_TRACES_EXPORTER: z.string().optional(),
  OTEL_EXPORTER_OTLP_ENDPOINT: z.string().refine(isHttpUrl, httpUrlRule).optional(),
  OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: z.string().refine(isHttpUrl, httpUrlRule).optional(),
  HEALTH_PORT: port(8081),
  METRICS_PORT: port(8080),
  LOG_LEVEL: z.enum(["fatal", "error", "warn", "info", "debug", "trace", "silent"]).default("info"),
});

export type OperatorConfig = ReturnType<typeof loadOperatorConfig>;

/** The default objectives as the sidecar spec takes them; a latency threshold needs its percent and back. */
function sloDefaultsOf(e: z.output<typeof envSchema>) {
  const availability = e.SLO_DEFAULT_AVAILABILITY;
  const threshold = e.SLO_DEFAULT_LATENCY_THRESHOLD;
  const objective = e.SLO_DEFAULT_LATENCY_OBJECTIVE;
  if (threshold === undefined && objective !== undefined)
    throw new OperatorConfigError(["SLO_DEFAULT_LATENCY_THRESHOLD is required with SLO_DEFAULT_LATENCY_OBJECTIVE"]);
  if (threshold !== undefined && objective === undefined)
    throw new OperatorConfigError(["SLO_DEFAULT_LATENCY_OBJECTIVE is required with SLO_DEFAULT_LATENCY_THRESHOLD"]);
  return {
    ...(availability !== undefined ? { availability } : {}),
    ...(threshold !== undefined && objective !== undefined ? { latency: { threshold, objective } } : {}),
  };
}

export class OperatorConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(problems.map((p) => `ConfigError: ${p}`).join("\n"));
    this.name = "OperatorConfigError";
  }
}

/** The only place the operator reads its environment. */
export function loadOperatorConfig(env: Record<string, string | undefined>) {
  const present = Object.fromEntries(Object.entries(env).filter(([, v]) => v !== undefined && v !== ""));
  const parsed = envSchema.safeParse(present);
  if (!parsed.success) {
    throw new OperatorConfigError(
      parsed.error.issues.map((i) => {
        const key = String(i.path[0]);
        return present[key] === undefined ? `${key} ${i.message}` : `${key} ${i.message}, got "${present[key]}"`;
      }),
    );
  }
  const e = parsed.data;
  return { ...e, identity: e.POD_NAME ?? `${hostname()}-${process.pid}`, sloDefaults: sloDefaultsOf(e) };
}
