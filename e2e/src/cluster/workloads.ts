import { Annotation, groupVersion, kind } from "@mcpscope/operator";
import { e2eServerImage } from "./e2e-settings.js";

export const workloadNamespace = "team-a";

/** Short metric export and ping intervals: the test waits on the collector and alerts in seconds. */
const fastTelemetry = [
  { name: "OTEL_METRIC_EXPORT_INTERVAL", value: "1000" },
  { name: "MCP_HEALTH_INTERVAL_MS", value: "1000" },
  { name: "LOG_LEVEL", value: "warn" },
];

/** The example weather server: server-everything over Streamable HTTP, the sidecar beside it. */
export const weatherServer = {
  apiVersion: groupVersion,
  kind,
  metadata: { name: "weather", namespace: workloadNamespace },
  spec: {
    server: {
      image: e2eServerImage,
      command: ["mcp-server-everything", "streamableHttp"],
      port: 3001,
      transport: "streamable-http",
    },
    // A hung server (the test freezes it on kind and the node provider) is answered 504 within 5 s.
    sidecar: { env: [...fastTelemetry, { name: "MCP_UPSTREAM_TIMEOUT_MS", value: "5000" }] },
    // On kind the test freezes the server process; as its container's PID 1 it could not be signalled.
    podTemplate: { spec: { shareProcessNamespace: true } },
    // Its own objectives; the other McpServers get the chart's default (availability 99.9 %).
    slo: { availability: "99.5", latency: { threshold: "300ms", objective: "99" } },
  },
};

/** A legacy HTTP+SSE server with no path given: the sidecar must default it to /sse, not /mcp. */
export const forecastServer = {
  apiVersion: groupVersion,
  kind,
  metadata: { name: "forecast", namespace: workloadNamespace },
  spec: {
    server: { image: e2eServerImage, command: ["mcp-server-everything", "sse"], port: 3001, transport: "sse" },
    sidecar: { env: fastTelemetry },
  },
};

/** A stdio-only server (server-everything in stdio mode), run by the sidecar in command mode. */
export const notesServer = {
  apiVersion: groupVersion,
  kind,
  metadata: { name: "notes", namespace: workloadNamespace },
  spec: {
    serverName: "notes-stdio",
    server: { image: e2eServerImage, command: ["mcp-server-everything", "stdio"], transport: "stdio" },
    sidecar: { env: fastTelemetry },
  },
};

/** A team's own Deployment that asks the webhook for the sidecar by annotation. */
export const annotatedDeployment = {
  apiVersion: "apps/v1",
  kind: "Deployment",
  metadata: { name: "inventory", namespace: workloadNamespace },
  spec: {
    replicas: 1,
    selector: { matchLabels: { app: "inventory" } },
    template: {
      metadata: {
        labels: { app: "inventory" },
        annotations: {
          [Annotation.inject]: "true",
          [Annotation.upstreamPort]: "3001",
          [Annotation.serverName]: "inventory",
          // A whole-second threshold: an existing bucket boundary, le="1".
          [Annotation.sloLatencyThreshold]: "1s",
          [Annotation.sloLatencyObjective]: "95",
        },
      },
      spec: {
        containers: [
          {
            name: "inventory",
            image: e2eServerImage,
            command: ["mcp-server-everything", "streamableHttp"],
            env: [{ name: "PORT", value: "3001" }],
            ports: [{ containerPort: 3001 }],
          },
        ],
      },
    },
  },
};
