import { describe, expect, it } from "vitest";
import { loadConfig } from "./config.js";
import { ConfigError } from "./errors.js";

const minimal = {
  MCP_UPSTREAM_URL: "http://weather-server:3001",
  MCP_UPSTREAM_NAME: "weather",
};

function problemsOf(env: Record<string, string>): string[] {
  try {
    loadConfig(env);
  } catch (error) {
    if (error instanceof ConfigError) return [...error.problems];
    throw error;
  }
  throw new Error("expected a ConfigError");
}

describe("loadConfig", () => {
  it("fills the documented defaults from a minimal environment", () => {
    const config = loadConfig(minimal);
    expect(config.upstream).toMatchObject({
      url: "http://weather-server:3001",
      transport: "streamable-http",
      mcpPath: "/mcp",
      timeoutMs: 120_000,
    });
    expect(config.listen).toEqual({ host: "0.0.0.0", port: 4000 });
    expect(config.metrics).toEqual({ host: "0.0.0.0", port: 9464 });
    expect(config.otel).toEqual({
      serviceName: "mcp-sidecar-weather",
      metricsUrl: undefined,
      exportIntervalMs: 15_000,
      resourceAttributes: {},
      // No OTLP endpoint, no traces.
      tracing: false,
    });
    expect(config.limits.maxBodyBytes).toBe(4 * 1024 * 1024);
    expect(config.logLevel).toBe("info");
  });

  it("reads the objectives as ratios and seconds, none unless set", () => {
    expect(loadConfig(minimal).slo).toEqual({});
    expect(
      loadConfig({
        ...minimal,
        MCP_SLO_AVAILABILITY: "99.9",
        MCP_SLO_LATENCY_THRESHOLD: "500ms",
        MCP_SLO_LATENCY_OBJECTIVE: "99",
      }).slo,
    ).toEqual({ availability: 0.999, latency: { thresholdSeconds: 0.5, objective: 0.99 } });
    expect(loadConfig({ ...minimal, MCP_SLO_AVAILABILITY: "95" }).slo).toEqual({ availability: 0.95 });
  });

  it("derives the OTLP metrics URL from OTEL_EXPORTER_OTLP_ENDPOINT as the OTel spec does", () => {
    const config = loadConfig({
      ...minimal,
      OTEL_EXPORTER_OTLP_ENDPOINT: "http://otelcol:4318/",
    });
    expect(config.otel.metricsUrl).toBe("http://otelcol:4318/v1/metrics");
  });

  it("prefers OTEL_EXPORTER_OTLP_METRICS_ENDPOINT as given", () => {
    const config = loadConfig({
      ...minimal,
      OTEL_EXPORTER_OTLP_ENDPOINT: "http://a:4318",
      OTEL_EXPORTER_OTLP_METRICS_ENDPOINT: "http://b:4318/custom",
    });
    expect(config.otel.metricsUrl).toBe("http://b:4318/custom");
  });

  it("accepts a stdio command instead of a URL", () => {
    const config = loadConfig({
      MCP_UPSTREAM_COMMAND: "npx -y some-server",
      MCP_UPSTREAM_NAME: "pg",
    });
    expect(config.upstream.command).toBe("npx -y some-server");
    expect(config.upstream.url).toBeUndefined();
  });

  it("defaults the health path to /sse for the legacy SSE transport", () => {
    expect(loadConfig({ ...minimal, MCP_UPSTREAM_TRANSPORT: "sse" }).upstream.mcpPath).toBe("/sse");
  });

  it("parses OTEL_RESOURCE_ATTRIBUTES key=value pairs", () => {
    const config = loadConfig({
      ...minimal,
      OTEL_RESOURCE_ATTRIBUTES: "k8s.pod.name=p-1, team=a%20b",
    });
    expect(config.otel.resourceAttributes).toEqual({
      "k8s.pod.name": "p-1",
      team: "a b",
    });
  });

  it("turns the context-cost metrics on by default, off with MCP_CONTEXT_COST=off, and refuses other values", () => {
    expect(loadConfig(minimal).contextCost).toBe(true);
    expect(loadConfig({ ...minimal, MCP_CONTEXT_COST: "off" }).contextCost).toBe(false);
    expect(problemsOf({ ...minimal, MCP_CONTEXT_COST: "no" })).toEqual([
      'MCP_CONTEXT_COST must be on or off, got "no"',
    ]);
  });

  it("turns session routing between replicas on with a pod IP and peers, in canonical form", () => {
    expect(loadConfig(minimal).replicas).toBeUndefined();
    expect(
      loadConfig({ ...minimal, MCP_POD_IP: "fd00::0a", MCP_REPLICA_PEERS: "mcp-peers.default.svc" }).replicas,
    ).toEqual({
      podIp: "fd00::a",
      peers: "mcp-peers.default.svc",
    });
  });

  it("treats empty variables as unset", () => {
    expect(loadConfig({ ...minimal, PORT: "", LOG_LEVEL: "" }).listen.port).toBe(4000);
  });

  const cases: Array<[string, Record<string, string>, string]> = [
    [
      "MCP_UPSTREAM_URL missing",
      { MCP_UPSTREAM_NAME: "w" },
      "MCP_UPSTREAM_URL is required (or set MCP_UPSTREAM_COMMAND to run a stdio MCP server)",
    ],
    [
      "MCP_UPSTREAM_URL not http",
      { ...minimal, MCP_UPSTREAM_URL: "ftp://x" },
      'MCP_UPSTREAM_URL must be an http(s) URL with a host, got "ftp://x"',
    ],
    [
      "MCP_UPSTREAM_URL not a URL",
      { ...minimal, MCP_UPSTREAM_URL: "weather:3001" },
      'MCP_UPSTREAM_URL must be an http(s) URL with a host, got "weather:3001"',
    ],
    [
      "MCP_UPSTREAM_COMMAND with a URL",
      { ...minimal, MCP_UPSTREAM_COMMAND: "x" },
      'MCP_UPSTREAM_COMMAND cannot be set together with MCP_UPSTREAM_URL: give the upstream\'s URL or a stdio command, not both, got "x"',
    ],
    ["MCP_UPSTREAM_NAME missing", { MCP_UPSTREAM_URL: "http://a" }, "MCP_UPSTREAM_NAME is required"],
    [
      "MCP_UPSTREAM_NAME with spaces",
      { ...minimal, MCP_UPSTREAM_NAME: "my server" },
      `MCP_UPSTREAM_NAME must be 1-63 letters, digits, '.', '_' or '-', starting with a letter or digit, got "my server"`,
    ],
    [
      "MCP_UPSTREAM_TRANSPORT",
      { ...minimal, MCP_UPSTREAM_TRANSPORT: "ws" },
      'MCP_UPSTREAM_TRANSPORT must be one of streamable-http, sse, got "ws"',
    ],
    ["MCP_UPSTREAM_PATH", { ...minimal, MCP_UPSTREAM_PATH: "mcp" }, 'MCP_UPSTREAM_PATH must start with /, got "mcp"'],
    [
      "MCP_UPSTREAM_TIMEOUT_MS",
      { ...minimal, MCP_UPSTREAM_TIMEOUT_MS: "10s" },
      'MCP_UPSTREAM_TIMEOUT_MS must be a whole number, got "10s"',
    ],
    [
      "MCP_CONNECT_TIMEOUT_MS",
      { ...minimal, MCP_CONNECT_TIMEOUT_MS: "5" },
      'MCP_CONNECT_TIMEOUT_MS must be at least 100, got "5"',
    ],
    [
      "MCP_MAX_BODY_BYTES",
      { ...minimal, MCP_MAX_BODY_BYTES: "-1" },
      'MCP_MAX_BODY_BYTES must be a whole number, got "-1"',
    ],
    ["MCP_MAX_TOOL_NAMES", { ...minimal, MCP_MAX_TOOL_NAMES: "0" }, 'MCP_MAX_TOOL_NAMES must be at least 1, got "0"'],
    [
      "MCP_SESSION_IDLE_TIMEOUT_MS",
      { ...minimal, MCP_SESSION_IDLE_TIMEOUT_MS: "x" },
      'MCP_SESSION_IDLE_TIMEOUT_MS must be a whole number, got "x"',
    ],
    [
      "MCP_HEALTH_CACHE_MS",
      { ...minimal, MCP_HEALTH_CACHE_MS: "99999999" },
      'MCP_HEALTH_CACHE_MS must be at most 600000, got "99999999"',
    ],
    [
      "MCP_HEALTH_TIMEOUT_MS",
      { ...minimal, MCP_HEALTH_TIMEOUT_MS: "1.5" },
      'MCP_HEALTH_TIMEOUT_MS must be a whole number, got "1.5"',
    ],
    [
      "MCP_SHUTDOWN_GRACE_MS",
      { ...minimal, MCP_SHUTDOWN_GRACE_MS: "soon" },
      'MCP_SHUTDOWN_GRACE_MS must be a whole number, got "soon"',
    ],
    ["PORT", { ...minimal, PORT: "70000" }, 'PORT must be at most 65535, got "70000"'],
    [
      "PORT of 400 digits",
      { ...minimal, PORT: "9".repeat(400) },
      `PORT must be at most 65535, got "${"9".repeat(400)}"`,
    ],
    ["METRICS_PORT", { ...minimal, METRICS_PORT: "abc" }, 'METRICS_PORT must be a whole number, got "abc"'],
    [
      "METRICS_PORT equal to PORT",
      { ...minimal, PORT: "4001", METRICS_PORT: "4001" },
      'METRICS_PORT must differ from PORT, got "4001"',
    ],
    [
      "LOG_LEVEL",
      { ...minimal, LOG_LEVEL: "loud" },
      'LOG_LEVEL must be one of fatal, error, warn, info, debug, trace, silent, got "loud"',
    ],
    [
      "OTEL_EXPORTER_OTLP_ENDPOINT",
      { ...minimal, OTEL_EXPORTER_OTLP_ENDPOINT: "otelcol:4318" },
      'OTEL_EXPORTER_OTLP_ENDPOINT must be an http(s) URL with a host, got "otelcol:4318"',
    ],
    [
      "OTEL_EXPORTER_OTLP_METRICS_ENDPOINT",
      { ...minimal, OTEL_EXPORTER_OTLP_METRICS_ENDPOINT: "grpc://c" },
      'OTEL_EXPORTER_OTLP_METRICS_ENDPOINT must be an http(s) URL with a host, got "grpc://c"',
    ],
    [
      "OTEL_METRIC_EXPORT_INTERVAL",
      { ...minimal, OTEL_METRIC_EXPORT_INTERVAL: "1m" },
      'OTEL_METRIC_EXPORT_INTERVAL must be a whole number, got "1m"',
    ],
    [
      "MCP_SLO_AVAILABILITY",
      { ...minimal, MCP_SLO_AVAILABILITY: "100" },
      'MCP_SLO_AVAILABILITY must be a percent strictly between 0 and 100, such as "99.9", got "100"',
    ],
    [
      "MCP_SLO_LATENCY_THRESHOLD",
      { ...minimal, MCP_SLO_LATENCY_THRESHOLD: "500", MCP_SLO_LATENCY_OBJECTIVE: "99" },
      'MCP_SLO_LATENCY_THRESHOLD must be a positive duration such as "500ms", "1.5s" or "2m", got "500"',
    ],
    [
      "MCP_SLO_LATENCY_OBJECTIVE without a threshold",
      { ...minimal, MCP_SLO_LATENCY_OBJECTIVE: "99" },
      "MCP_SLO_LATENCY_THRESHOLD is required with MCP_SLO_LATENCY_OBJECTIVE: a latency objective is both",
    ],
    [
      "MCP_SLO_LATENCY_THRESHOLD of zero",
      { ...minimal, MCP_SLO_LATENCY_THRESHOLD: "0s", MCP_SLO_LATENCY_OBJECTIVE: "99" },
      'MCP_SLO_LATENCY_THRESHOLD must be a positive duration such as "500ms", "1.5s" or "2m", got "0s"',
    ],
    [
      "MCP_SLO_LATENCY_THRESHOLD without an objective",
      { ...minimal, MCP_SLO_LATENCY_THRESHOLD: "1s" },
      "MCP_SLO_LATENCY_OBJECTIVE is required with MCP_SLO_LATENCY_THRESHOLD: a latency objective is both",
    ],
    [
      "MCP_POD_IP",
      { ...minimal, MCP_POD_IP: "pod-a", MCP_REPLICA_PEERS: "mcp-peers" },
      'MCP_POD_IP must be an IPv4 or IPv6 address, got "pod-a"',
    ],
    [
      "MCP_REPLICA_PEERS",
      { ...minimal, MCP_POD_IP: "10.0.0.1" },
      "MCP_REPLICA_PEERS is required when MCP_POD_IP is set: session routing between replicas needs both",
    ],
    [
      "OTEL_RESOURCE_ATTRIBUTES",
      { ...minimal, OTEL_RESOURCE_ATTRIBUTES: "novalue" },
      'OTEL_RESOURCE_ATTRIBUTES must be key=value pairs separated by commas, "novalue" is not, got "novalue"',
    ],
    [
      "OTEL_RESOURCE_ATTRIBUTES with a malformed %-escape",
      { ...minimal, OTEL_RESOURCE_ATTRIBUTES: "team=a%zz" },
      'OTEL_RESOURCE_ATTRIBUTES must be percent-encoded, "team=a%zz" holds a malformed %-escape, got "team=a%zz"',
    ],
    [
      "OTEL_RESOURCE_ATTRIBUTES, without a second line from the ports' check",
      { ...minimal, OTEL_RESOURCE_ATTRIBUTES: "novalue", METRICS_PORT: "4000" },
      'OTEL_RESOURCE_ATTRIBUTES must be key=value pairs separated by commas, "novalue" is not, got "novalue"',
    ],
    [
      "MCP_SLO_LATENCY_THRESHOLD alone, without a second line for the objective",
      { ...minimal, MCP_SLO_LATENCY_THRESHOLD: "soon" },
      'MCP_SLO_LATENCY_THRESHOLD must be a positive duration such as "500ms", "1.5s" or "2m", got "soon"',
    ],
    ["HOST of spaces", { ...minimal, HOST: "  " }, 'HOST must not be empty, got "  "'],
  ];

  it.each(cases)("refuses %s with one line naming the variable", (_name, env, expected) => {
    expect(problemsOf(env)).toEqual([expected]);
  });

  it("reports two ports that are not numbers as such, not as one port twice", () => {
    expect(problemsOf({ ...minimal, PORT: "abc", METRICS_PORT: "abc" })).toEqual([
      'PORT must be a whole number, got "abc"',
      'METRICS_PORT must be a whole number, got "abc"',
    ]);
  });

  it("reports every bad variable at once, one line each, prefixed ConfigError", () => {
    try {
      loadConfig({
        MCP_UPSTREAM_URL: "ftp://x",
        MCP_UPSTREAM_NAME: "ok",
        PORT: "0",
      });
      expect.unreachable();
    } catch (error) {
      expect((error as Error).message).toBe(
        'ConfigError: MCP_UPSTREAM_URL must be an http(s) URL with a host, got "ftp://x"\nConfigError: PORT must be at least 1, got "0"',
      );
    }
  });
});
