import { describe, expect, it } from "vitest";
import { mcpServerSpecSchema } from "../api/mcpserver.js";
import { buildDesiredObjects, type McpServerObject } from "./desired.js";

function mcpServer(name: string, spec: unknown): McpServerObject {
  return {
    apiVersion: "mcpscope.dev/v1alpha1",
    kind: "McpServer",
    metadata: { name, namespace: "team-a", uid: "uid-1" },
    spec: mcpServerSpecSchema.parse(spec),
  };
}

const envOf = (container: { env?: Array<{ name: string; value?: string }> } | undefined) =>
  Object.fromEntries((container?.env ?? []).map((e) => [e.name, e.value]));

describe("buildDesiredObjects", () => {
  it("gives every McpServer a headless peer Service and its sidecars their pod IP and peers, for session routing", () => {
    for (const server of [
      { image: "weather:1", port: 3001 },
      { image: "notes:1", command: ["notes"], transport: "stdio" },
    ]) {
      const desired = buildDesiredObjects(mcpServer("weather", { replicas: 3, server }), { sidecarImage: "s:1" });
      const containers = desired.deployment.spec?.template.spec?.containers ?? [];
      const sidecar = containers[containers.length - 1];
      const peers = desired.peerService;
      expect(peers.metadata?.name).toMatch(/^weather-peers-[0-9a-f]{10}$/);
      expect(peers.metadata?.ownerReferences?.[0]).toMatchObject({ kind: "McpServer", uid: "uid-1", controller: true });
      expect(peers.spec).toEqual({
        clusterIP: "None",
        publishNotReadyAddresses: true,
        selector: desired.deployment.spec?.selector.matchLabels,
        ports: [{ name: "mcp", port: 4000, targetPort: "mcp", protocol: "TCP" }],
      });
      expect(sidecar?.env).toEqual(
        expect.arrayContaining([
          { name: "MCP_POD_IP", valueFrom: { fieldRef: { fieldPath: "status.podIP" } } },
          { name: "MCP_REPLICA_PEERS", value: `${peers.metadata?.name}.team-a.svc` },
        ]),
      );
      expect(desired.deployment.spec?.replicas).toBe(3);
      expect(desired.autoscaler).toBeUndefined();
    }
  });

  it("renders spec.autoscaling as an owned autoscaling/v2 HPA of the Deployment, which then owns the replica count", () => {
    const desired = buildDesiredObjects(
      mcpServer("weather", {
        replicas: 2,
        autoscaling: { minReplicas: 2, maxReplicas: 10, targetCPUUtilizationPercentage: 70 },
        server: { image: "weather:1", port: 3001, resources: { requests: { cpu: "100m" } } },
      }),
      { sidecarImage: "s:1" },
    );
    expect(desired.deployment.spec).not.toHaveProperty("replicas");
    expect(desired.autoscaler).toEqual({
      apiVersion: "autoscaling/v2",
      kind: "HorizontalPodAutoscaler",
      metadata: desired.deployment.metadata,
      spec: {
        scaleTargetRef: { apiVersion: "apps/v1", kind: "Deployment", name: "weather" },
        minReplicas: 2,
        maxReplicas: 10,
        metrics: [
          { type: "Resource", resource: { name: "cpu", target: { type: "Utilization", averageUtilization: 70 } } },
        ],
      },
    });
  });

  it("defaults autoscaling to 1 replica at least and 80 % CPU", () => {
    const spec = mcpServerSpecSchema.parse({ autoscaling: { maxReplicas: 4 }, server: { image: "w:1" } });
    expect(spec.autoscaling).toEqual({ minReplicas: 1, maxReplicas: 4, targetCPUUtilizationPercentage: 80 });
    expect(
      mcpServerSpecSchema.safeParse({ autoscaling: { maxReplicas: 4, min: 1 }, server: { image: "w:1" } }).success,
    ).toBe(false);
  });

  it("runs an HTTP server beside the sidecar, which forwards to it over the pod's loopback", () => {
    const desired = buildDesiredObjects(mcpServer("weather", { server: { image: "weather:1", port: 3001 } }), {
      sidecarImage: "mcpscope/sidecar:1",
      otlpEndpoint: "http://collector.mcpscope-system.svc:4318",
    });
    const [server, sidecar] = desired.deployment.spec?.template.spec?.containers ?? [];
    expect(server?.name).toBe("mcp-server");
    expect(envOf(server)).toEqual({ PORT: "3001" });
    expect(sidecar?.image).toBe("mcpscope/sidecar:1");
    expect(envOf(sidecar)).toMatchObject({
      MCP_UPSTREAM_URL: "http://127.0.0.1:3001",
      MCP_UPSTREAM_NAME: "weather",
      PORT: "4000",
      METRICS_PORT: "9464",
      OTEL_SERVICE_NAME: "mcp-sidecar-weather",
      OTEL_EXPORTER_OTLP_ENDPOINT: "http://collector.mcpscope-system.svc:4318",
    });
    expect(desired.url).toBe("http://weather.team-a.svc:4000/mcp");
    expect(desired.deployment.metadata?.ownerReferences?.[0]).toMatchObject({ kind: "McpServer", controller: true });
    expect(desired.service.spec?.ports?.map((p) => p.port)).toEqual([4000, 9464]);
  });

  it("probes an SSE server on /sse and a Streamable HTTP one on /mcp when spec.server.path is not set", () => {
    const sse = buildDesiredObjects(mcpServer("forecast", { server: { image: "f", transport: "sse" } }), {
      sidecarImage: "s",
    });
    expect(envOf(sse.deployment.spec?.template.spec?.containers[1])).toMatchObject({
      MCP_UPSTREAM_TRANSPORT: "sse",
      MCP_UPSTREAM_PATH: "/sse",
    });
    expect(sse.url).toBe("http://forecast.team-a.svc:4000/sse");
    const own = buildDesiredObjects(
      mcpServer("custom", { server: { image: "c", transport: "sse", path: "/events" } }),
      { sidecarImage: "s" },
    );
    expect(envOf(own.deployment.spec?.template.spec?.containers[1])).toMatchObject({ MCP_UPSTREAM_PATH: "/events" });
    const http = buildDesiredObjects(mcpServer("w", { server: { image: "w" } }), { sidecarImage: "s" });
    expect(envOf(http.deployment.spec?.template.spec?.containers[1])).toMatchObject({ MCP_UPSTREAM_PATH: "/mcp" });
  });

  it("lets spec.telemetry override the installation's OTLP endpoint, and pushes nowhere when neither is set", () => {
    const own = buildDesiredObjects(
      mcpServer("a", { server: { image: "a" }, telemetry: { otlpEndpoint: "http://mine:4318", serviceName: "svc" } }),
      { sidecarImage: "s", otlpEndpoint: "http://default:4318" },
    );
    expect(envOf(own.deployment.spec?.template.spec?.containers[1])).toMatchObject({
      OTEL_EXPORTER_OTLP_ENDPOINT: "http://mine:4318",
      OTEL_SERVICE_NAME: "svc",
    });
    const none = buildDesiredObjects(mcpServer("b", { server: { image: "b" } }), { sidecarImage: "s" });
    expect(envOf(none.deployment.spec?.template.spec?.containers[1])).not.toHaveProperty("OTEL_EXPORTER_OTLP_ENDPOINT");
  });

  it("runs a stdio server inside the sidecar: one container, the command as a shell line", () => {
    const desired = buildDesiredObjects(
      mcpServer("notes", {
        serverName: "notes-db",
        server: { image: "notes:1", transport: "stdio", command: ["notes-server", "--db", "it's here"] },
      }),
      { sidecarImage: "mcpscope/sidecar:1" },
    );
    const containers = desired.deployment.spec?.template.spec?.containers ?? [];
    expect(containers).toHaveLength(1);
    expect(containers[0]?.image).toBe("notes:1");
    expect(envOf(containers[0])).toMatchObject({
      MCP_UPSTREAM_COMMAND: "notes-server --db 'it'\\''s here'",
      MCP_UPSTREAM_NAME: "notes-db",
    });
    expect(desired.url).toBe("http://notes.team-a.svc:4000/mcp");
  });

  it("merges podTemplate overrides without letting them replace the containers or selector labels", () => {
    const desired = buildDesiredObjects(
      mcpServer("w", {
        server: { image: "w" },
        podTemplate: {
          metadata: { labels: { team: "a", "app.kubernetes.io/instance": "hijack" } },
          spec: { nodeSelector: { disk: "ssd" } },
        },
      }),
      { sidecarImage: "s" },
    );
    const template = desired.deployment.spec?.template;
    expect(template?.spec?.nodeSelector).toEqual({ disk: "ssd" });
    expect(template?.spec?.containers).toHaveLength(2);
    expect(template?.metadata?.labels).toMatchObject({ team: "a", "app.kubernetes.io/instance": "w" });
    expect(template?.metadata?.annotations).toMatchObject({ "prometheus.io/port": "9464" });
  });

  it("accepts only the safe pod template subset: containers, host namespaces and ServiceAccounts are refused", () => {
    for (const spec of [{ containers: [] }, { hostPID: true }, { serviceAccountName: "admin" }, { nodeName: "n" }]) {
      expect(mcpServerSpecSchema.safeParse({ server: { image: "w" }, podTemplate: { spec } }).success).toBe(false);
    }
    const hostPath = { volumes: [{ name: "root", hostPath: { path: "/" } }] };
    expect(mcpServerSpecSchema.safeParse({ server: { image: "w" }, podTemplate: { spec: hostPath } }).success).toBe(
      false,
    );
  });

  it("runs the server container under the restricted profile, with the admin's pod defaults beneath the McpServer's choices", () => {
    const desired = buildDesiredObjects(
      mcpServer("w", {
        server: { image: "w", securityContext: { runAsUser: 4242, readOnlyRootFilesystem: false } },
        podTemplate: { spec: { volumes: [{ name: "cfg", configMap: { name: "c" } }] } },
      }),
      { sidecarImage: "s", podDefaults: { serviceAccountName: "mcp-servers", priorityClassName: "mcp" } },
    );
    const pod = desired.deployment.spec?.template.spec;
    expect(pod?.serviceAccountName).toBe("mcp-servers");
    expect(pod?.securityContext).toEqual({ runAsNonRoot: true, seccompProfile: { type: "RuntimeDefault" } });
    expect(pod?.volumes?.map((v) => v.name)).toEqual(["mcpscope-tmp", "cfg"]);
    expect(pod?.containers[0]?.securityContext).toEqual({
      runAsNonRoot: true,
      runAsUser: 4242,
      allowPrivilegeEscalation: false,
      readOnlyRootFilesystem: false,
      capabilities: { drop: ["ALL"] },
      seccompProfile: { type: "RuntimeDefault" },
    });
    expect(pod?.containers[0]?.volumeMounts).toEqual([{ name: "mcpscope-tmp", mountPath: "/tmp" }]);
  });

  it("gives the sidecar spec.slo as MCP_SLO_* env, each objective left out taking the installation's default", () => {
    const sloEnv = (spec: unknown, sloDefaults?: { availability?: string }) => {
      const desired = buildDesiredObjects(mcpServer("weather", spec), { sidecarImage: "s:1", sloDefaults });
      const sidecar = desired.deployment.spec?.template.spec?.containers?.[1];
      return Object.fromEntries(Object.entries(envOf(sidecar)).filter(([k]) => k.startsWith("MCP_SLO_")));
    };
    const server = { image: "weather:1" };
    expect(
      sloEnv(
        { server, slo: { availability: "99.95", latency: { threshold: "500ms", objective: "99" } } },
        { availability: "99.9" },
      ),
    ).toEqual({ MCP_SLO_AVAILABILITY: "99.95", MCP_SLO_LATENCY_THRESHOLD: "500ms", MCP_SLO_LATENCY_OBJECTIVE: "99" });
    expect(
      sloEnv({ server, slo: { latency: { threshold: "2s", objective: "90" } } }, { availability: "99.9" }),
    ).toEqual({ MCP_SLO_AVAILABILITY: "99.9", MCP_SLO_LATENCY_THRESHOLD: "2s", MCP_SLO_LATENCY_OBJECTIVE: "90" });
    expect(sloEnv({ server }, { availability: "99.9" })).toEqual({ MCP_SLO_AVAILABILITY: "99.9" });
    expect(sloEnv({ server })).toEqual({});
  });

  it("refuses objectives the sidecar would refuse, with the sidecar's reasons", () => {
    const problems = mcpServerSpecSchema
      .safeParse({
        server: { image: "x" },
        slo: { availability: "100", latency: { threshold: "0ms", objective: "99" } },
      })
      .error?.issues.map((i) => `${i.path.join(".")}: ${i.message}`);
    expect(problems).toEqual([
      'slo.availability: must be a percent strictly between 0 and 100, such as "99.9"',
      'slo.latency.threshold: must be a positive duration such as "500ms", "1.5s" or "2m"',
    ]);
  });
});
