import { AdmissionregistrationV1Api, CoreV1Api, type V1Container, type V1Pod } from "@kubernetes/client-node";
import { readMetrics, sampleValue } from "@mcpscope/sidecar/testing";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { SSEClientTransport } from "@modelcontextprotocol/sdk/client/sse.js";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import type { McpCluster, PodEndpoints } from "./cluster/cluster.js";
import { waitFor } from "./cluster/e2e-settings.js";
import { formatReport, PhaseTimer } from "./cluster/phases.js";
import {
  annotatedDeployment,
  forecastServer,
  notesServer,
  weatherServer,
  workloadNamespace,
} from "./cluster/workloads.js";
import { dashboardQueries, perServerQueries } from "./harness/dashboard.js";
import { jaegerSearch } from "./harness/jaeger.js";
import { kubectlWith, runProgram, stdoutOf } from "./harness/programs.js";
import { type InstantQueryAnswer, instantQuery } from "./harness/prometheus.js";

/** What the client sends to each server, so the metrics can be checked against it exactly. */
const traffic = {
  weather: { echoes: 5, path: "/mcp" },
  "notes-stdio": { echoes: 3, path: "/mcp" },
  forecast: { echoes: 4, path: "/sse" },
  inventory: { echoes: 2, path: "/mcp" },
} as const;
type ServerName = keyof typeof traffic;
const observedServers: ServerName[] = ["weather", "notes-stdio", "forecast"];

/**
 * The whole path, the same assertions on every cluster provider: McpServer → operator → pods →
 * sidecars → collector → Prometheus and Jaeger. Each provider's test file calls this once.
 */
export function fullPathSuite(
  startCluster: (phases: PhaseTimer) => Promise<McpCluster>,
  options: { helmTest?: boolean } = {},
): void {
  const phases = new PhaseTimer();
  let cluster: McpCluster;
  const pods = new Map<ServerName, V1Pod>();
  const endpoints = new Map<ServerName, PodEndpoints>();

  const kubectlRun = kubectlWith(
    () => inject("tools").KUBECTL,
    () => cluster.kubeconfigPath,
  );
  const kubectl = async (args: string[], input?: string) =>
    stdoutOf(await kubectlRun(args, input), `kubectl ${args.join(" ")}`);

  async function podOf(labelSelector: string): Promise<V1Pod> {
    const core = cluster.kubeConfig().makeApiClient(CoreV1Api);
    return waitFor(
      `a pod for ${labelSelector} from the controller-manager`,
      async () => (await core.listNamespacedPod({ namespace: workloadNamespace, labelSelector })).items[0],
      60_000,
    );
  }

  const envOf = (container: V1Container | undefined) =>
    Object.fromEntries((container?.env ?? []).map((e) => [e.name, e.value]));

  async function prometheusQuery(query: string): Promise<InstantQueryAnswer["series"]> {
    const answer = await instantQuery(cluster.prometheusUrl(), query);
    if (answer.status !== "success") throw new Error(`${query}: ${answer.error}`);
    return answer.series;
  }

  /** One MCP conversation with the official SDK client: tools/list, echoes, one failing tool call, ping. */
  async function converse(endpoint: PodEndpoints, name: ServerName) {
    const { echoes, path } = traffic[name];
    const client = new Client({ name: "mcpscope-e2e", version: "1.0.0" });
    const url = new URL(`${endpoint.proxyUrl}${path}`);
    const transport = path === "/sse" ? new SSEClientTransport(url) : new StreamableHTTPClientTransport(url);
    await client.connect(transport);
    const tools = (await client.listTools()).tools.map((t) => t.name);
    const replies: unknown[] = [];
    for (let i = 0; i < echoes; i++) {
      replies.push(await client.callTool({ name: "echo", arguments: { message: `hello ${i}` } }));
    }
    const failing = await client.callTool({ name: "get-sum", arguments: { a: "not a number", b: 2 } });
    await client.ping();
    if (transport instanceof StreamableHTTPClientTransport) await transport.terminateSession();
    await client.close();
    return { tools, replies, failing };
  }

  beforeAll(async () => {
    cluster = await startCluster(phases);
    await cluster.install();
  }, 1_200_000);

  afterAll(async () => {
    if (!cluster) return;
    const components = await cluster.components().catch((error: unknown) => ({ error: String(error) }));
    const leftovers = await phases.time("tear-down", () => cluster.teardown());
    console.log(formatReport(`mcpscope e2e (${cluster.provider})`, components, phases.phases));
    if (leftovers.length > 0) throw new Error(`tear-down left things behind:\n${leftovers.join("\n")}`);
  }, 300_000);

  describe("full path: McpServer → operator → pods → sidecars → collector → Prometheus", { timeout: 180_000 }, () => {
    it("installs from the rendered chart: the CRD is established and the operator fills the webhook's caBundle", async () => {
      await expect(kubectl(["get", "crd", "mcpservers.mcpscope.dev", "-o", "name"])).resolves.toContain("mcpservers");
      const admission = cluster.kubeConfig().makeApiClient(AdmissionregistrationV1Api);
      const caBundle = await waitFor(
        "the operator to fill the webhook's caBundle",
        async () =>
          (await admission.readMutatingWebhookConfiguration({ name: "mcpscope-webhook" })).webhooks?.[0]?.clientConfig
            .caBundle,
        30_000,
      );
      expect(Buffer.from(caBundle, "base64").toString()).toContain("BEGIN CERTIFICATE");
    });

    it("turns three McpServers (Streamable HTTP, legacy SSE with no path, stdio) into Deployments and Services whose Pods (made by the controller-manager) run the sidecar with the right env", async () => {
      await phases.time("McpServers → Deployments → Pods", async () => {
        await kubectl(["create", "namespace", workloadNamespace]);
        await kubectl(["apply", "-f", "-"], JSON.stringify({ kind: "List", apiVersion: "v1", items: [weatherServer] }));
        await kubectl(["apply", "-f", "-"], JSON.stringify({ kind: "List", apiVersion: "v1", items: [notesServer] }));
        await kubectl(
          ["apply", "-f", "-"],
          JSON.stringify({ kind: "List", apiVersion: "v1", items: [forecastServer] }),
        );
        pods.set("weather", await podOf("app.kubernetes.io/instance=weather"));
        pods.set("notes-stdio", await podOf("app.kubernetes.io/instance=notes"));
        pods.set("forecast", await podOf("app.kubernetes.io/instance=forecast"));
      });

      const weather = pods.get("weather")?.spec?.containers ?? [];
      expect(weather.map((c) => c.name)).toEqual(["mcp-server", "mcpscope-sidecar"]);
      expect(envOf(weather[0])).toEqual({ PORT: "3001" });
      expect(envOf(weather[1])).toMatchObject({
        MCP_UPSTREAM_URL: "http://127.0.0.1:3001",
        MCP_UPSTREAM_NAME: "weather",
        PORT: "4000",
        METRICS_PORT: "9464",
        OTEL_SERVICE_NAME: "mcp-sidecar-weather",
        OTEL_EXPORTER_OTLP_ENDPOINT: "http://mcpscope-collector.mcpscope-system.svc:4318",
      });
      const notes = pods.get("notes-stdio")?.spec?.containers ?? [];
      expect(notes.map((c) => c.name)).toEqual(["mcp-server"]);
      expect(envOf(notes[0])).toMatchObject({
        MCP_UPSTREAM_COMMAND: "mcp-server-everything stdio",
        MCP_UPSTREAM_NAME: "notes-stdio",
        OTEL_EXPORTER_OTLP_ENDPOINT: "http://mcpscope-collector.mcpscope-system.svc:4318",
      });
      const services = JSON.parse(await kubectl(["-n", workloadNamespace, "get", "services", "-o", "json"])) as {
        items: Array<{
          metadata: { name: string };
          spec: { clusterIP: string; ports: Array<{ port: number }> };
        }>;
      };
      // Each McpServer's Service, and its headless peer Service (session routing among replicas).
      expect(
        services.items
          .map((s) => [
            s.metadata.name.replace(/-[0-9a-f]{10}$/, ""),
            s.spec.ports.map((p) => p.port),
            s.spec.clusterIP === "None",
          ])
          .sort(),
      ).toEqual([
        ["forecast", [4000, 9464], false],
        ["forecast-peers", [4000], true],
        ["notes", [4000, 9464], false],
        ["notes-peers", [4000], true],
        ["weather", [4000, 9464], false],
        ["weather-peers", [4000], true],
      ]);
      // An SSE server with no spec.server.path is probed on /sse, the legacy transport's endpoint.
      const forecast = pods.get("forecast")?.spec?.containers ?? [];
      expect(envOf(forecast[1])).toMatchObject({ MCP_UPSTREAM_TRANSPORT: "sse", MCP_UPSTREAM_PATH: "/sse" });
      // spec.slo, and for the McpServers that declare none the chart's slo.defaults (through the operator).
      const sloEnv = (container: V1Container | undefined) =>
        Object.fromEntries(Object.entries(envOf(container)).filter(([k]) => k.startsWith("MCP_SLO_")));
      expect(sloEnv(weather[1])).toEqual({
        MCP_SLO_AVAILABILITY: "99.5",
        MCP_SLO_LATENCY_THRESHOLD: "300ms",
        MCP_SLO_LATENCY_OBJECTIVE: "99",
      });
      expect(sloEnv(forecast[1])).toEqual({ MCP_SLO_AVAILABILITY: "99.9" });
      expect(sloEnv(notes[0])).toEqual({ MCP_SLO_AVAILABILITY: "99.9" });
    });

    it("injects the sidecar into the Pod of a team's own Deployment annotated mcpscope.dev/inject", async () => {
      await kubectl(["apply", "-f", "-"], JSON.stringify(annotatedDeployment));
      const pod = await podOf("app=inventory");
      pods.set("inventory", pod);
      expect(pod.metadata?.annotations?.["mcpscope.dev/injected"]).toBeDefined();
      const sidecar = [...(pod.spec?.initContainers ?? []), ...(pod.spec?.containers ?? [])].find(
        (c) => c.name === "mcpscope-sidecar",
      );
      expect(envOf(sidecar)).toMatchObject({
        MCP_UPSTREAM_URL: "http://127.0.0.1:3001",
        MCP_UPSTREAM_NAME: "inventory",
        OTEL_EXPORTER_OTLP_ENDPOINT: "http://mcpscope-collector.mcpscope-system.svc:4318",
        // Its annotated latency objective, and the chart's default availability one.
        MCP_SLO_AVAILABILITY: "99.9",
        MCP_SLO_LATENCY_THRESHOLD: "1s",
        MCP_SLO_LATENCY_OBJECTIVE: "95",
      });
    });

    it("answers MCP traffic from the official SDK client through every pod's sidecar, and counts it exactly", async () => {
      await phases.time("pods' containers running, sidecars healthy", async () => {
        for (const [name, pod] of pods) endpoints.set(name, await cluster.reachPod(pod));
      });
      await phases.time("MCP traffic through the sidecars", async () => {
        for (const [name, endpoint] of endpoints) {
          const result = await converse(endpoint, name);
          expect(result.tools).toContain("echo");
          expect(result.replies).toHaveLength(traffic[name].echoes);
          expect(result.replies[0]).toEqual({ content: [{ type: "text", text: "Echo: hello 0" }] });
          expect(result.failing).toMatchObject({ isError: true });
          const metrics = await readMetrics(endpoint.metricsUrl);
          expect(sampleValue(metrics, "mcp_tool_calls_total", { server_name: name, tool_name: "echo" })).toBe(
            traffic[name].echoes,
          );
          expect(sampleValue(metrics, "mcp_tool_calls_total", { server_name: name, status: "error" })).toBe(1);
        }
      });
    });

    it("reaches Prometheus through the collector: the per-server request rate, error rate, p95 latency and tool-call queries return every server, with the counts the client sent", async () => {
      const toolCallsSent = (name: ServerName, rounds: number) => rounds * (traffic[name].echoes + 1);
      const untilPrometheusHolds = (rounds: number) =>
        waitFor(
          `Prometheus to hold every server' tool-call counts after ${rounds} round(s)`,
          async () => {
            const counts = await prometheusQuery("sum by (server_name) (mcp_tool_calls_total)");
            return observedServers.every(
              (name) => counts.find((c) => c.metric.server_name === name)?.value === toolCallsSent(name, rounds),
            );
          },
          60_000,
        );
      await phases.time("OTLP → collector → Prometheus scrape", () => untilPrometheusHolds(1));
      // A second round once Prometheus has seen the first: every counter then increases between two
      // scrapes, so the per-server rate() queries have something to measure (as under steady traffic).
      await phases.time("second round of traffic, seen by Prometheus", async () => {
        for (const name of observedServers) {
          const endpoint = endpoints.get(name);
          if (endpoint) await converse(endpoint, name);
        }
        await untilPrometheusHolds(2);
      });
      for (const name of observedServers) {
        const perMethod = await prometheusQuery(`sum by (method, status) (mcp_requests_total{server_name="${name}"})`);
        const count = (method: string, status: string) =>
          perMethod.find((r) => r.metric.method === method && r.metric.status === status)?.value;
        expect(count("initialize", "ok")).toBe(2);
        expect(count("tools/list", "ok")).toBe(2);
        expect(count("tools/call", "ok")).toBe(2 * traffic[name].echoes);
        expect(count("tools/call", "error")).toBe(2);
        expect(count("ping", "ok")).toBe(2);
      }
      for (const [query, expr] of Object.entries(perServerQueries)) {
        const result = await prometheusQuery(expr);
        const names = new Set(result.map((r) => r.metric.server_name));
        expect({ query, names: observedServers.filter((n) => names.has(n)) }).toEqual({
          query,
          names: observedServers,
        });
        for (const series of result.filter((r) => observedServers.includes(r.metric.server_name as ServerName))) {
          expect({ query, value: series.value }).toEqual({ query, value: expect.any(Number) });
          expect(Number.isFinite(series.value) && series.value > 0).toBe(true);
        }
      }
      const errorRate = await prometheusQuery(perServerQueries.errorRate);
      // Over the observed servers, whose request rates are positive (a server with no traffic in the
      // window — the injected one, after its single round — has 0/0 = NaN).
      for (const series of errorRate.filter((r) => observedServers.includes(r.metric.server_name as ServerName)))
        expect(series.value).toBeLessThan(1);
    });

    it("puts every server's objectives in Prometheus, which loads the SLO rules and records each server's burn rates", async () => {
      const objectives = await phases.time("objectives → collector → Prometheus", () =>
        waitFor(
          "every server's mcp_slo_objective_ratio in Prometheus",
          async () => {
            const series = await prometheusQuery("max by (server_name, slo, le) (mcp_slo_objective_ratio)");
            return series.length === 6 ? series : undefined;
          },
          60_000,
        ),
      );
      const byServer = objectives
        .map((s) => [s.metric.server_name, s.metric.slo, s.metric.le, s.value])
        .sort((a, b) => `${a[0]}/${a[1]}`.localeCompare(`${b[0]}/${b[1]}`));
      expect(byServer).toEqual([
        ["forecast", "availability", undefined, 0.999],
        ["inventory", "availability", undefined, 0.999],
        ["inventory", "latency", "1", 0.95],
        ["notes-stdio", "availability", undefined, 0.999],
        ["weather", "availability", undefined, 0.995],
        ["weather", "latency", "0.3", 0.99],
      ]);
      // The threshold is a bucket of the latency histogram, with the same le text.
      const thresholdBucket = await prometheusQuery(
        'sum by (le) (mcp_request_duration_seconds_bucket{server_name="weather",le="0.3"})',
      );
      expect(thresholdBucket.map((s) => s.metric.le)).toEqual(["0.3"]);

      const response = await fetch(`${cluster.prometheusUrl()}/api/v1/rules`);
      const { data } = (await response.json()) as {
        data: { groups: Array<{ name: string; rules: Array<{ name: string; health: string; lastError?: string }> }> };
      };
      const slo = data.groups.filter((g) => g.name.startsWith("mcpscope-slo"));
      expect(slo.map((g) => g.name).sort()).toEqual([
        "mcpscope-slo-availability",
        "mcpscope-slo-latency",
        "mcpscope-slo-objectives",
      ]);
      expect(slo.flatMap((g) => g.rules).filter((r) => r.health !== "ok" && r.health !== "unknown")).toEqual([]);
      expect(slo.flatMap((g) => g.rules.map((r) => r.name))).toEqual(
        expect.arrayContaining(["slo:mcp_error_budget_burn:rate1h", "McpErrorBudgetBurn", "McpLatencyBudgetBurn"]),
      );
      // The rules select each server's own threshold bucket: weather's latency burn rate is recorded,
      // beside every observed server's availability one.
      const burn = await phases.time("SLO rules → burn rates", () =>
        waitFor(
          "the recorded 1h burn rates of every observed server's objectives",
          async () => {
            const series = await prometheusQuery(
              `slo:mcp_error_budget_burn:rate1h{server_name=~"${observedServers.join("|")}"}`,
            );
            return series.length === observedServers.length + 1 ? series : undefined;
          },
          60_000,
        ),
      );
      expect(burn.map((s) => `${s.metric.server_name}/${s.metric.slo}`).sort()).toEqual([
        "forecast/availability",
        "notes-stdio/availability",
        "weather/availability",
        "weather/latency",
      ]);
      for (const series of burn) expect(Number.isFinite(series.value) && series.value >= 0).toBe(true);
    });

    it("sends every McpServer's spans through the chart's collector to its Jaeger, found by the query API", async () => {
      const spans = await phases.time("spans → collector → Jaeger", () =>
        waitFor(
          "Jaeger to hold every server's echo calls",
          async () => {
            const found = await Promise.all(
              observedServers.map(async (name) =>
                jaegerSearch(cluster.jaegerUrl(), `mcp-sidecar-${name}`, "tools/call echo"),
              ),
            );
            return found.every((s, i) => s.length >= 2 * traffic[observedServers[i] as ServerName].echoes)
              ? found
              : undefined;
          },
          60_000,
        ),
      );
      for (const [i, name] of observedServers.entries()) {
        expect(spans[i]).toHaveLength(2 * traffic[name].echoes);
        for (const span of spans[i] ?? []) {
          expect(span.tags).toMatchObject({ server_name: name, "gen_ai.tool.name": "echo", "span.kind": "server" });
        }
      }
    });

    it("answers every query of the shipped Grafana dashboard with series for every server", async () => {
      for (const { panel, expr, mayBeEmpty } of await dashboardQueries(observedServers)) {
        const names = new Set((await prometheusQuery(expr)).map((r) => r.metric.server_name));
        expect({ panel, names: observedServers.filter((n) => names.has(n)) }).toEqual({
          panel,
          names: mayBeEmpty ? [] : observedServers,
        });
      }
    });

    it("puts McpUpstreamDown in pending (firing after its 1 m) for the server that stopped, and only for it", async () => {
      const weather = pods.get("weather");
      if (!weather) throw new Error("no weather pod");
      await cluster.stopServer(weather);
      const alerts = await phases.time("server stopped → McpUpstreamDown pending", () =>
        waitFor(
          "McpUpstreamDown for weather",
          async () => {
            const response = await fetch(`${cluster.prometheusUrl()}/api/v1/alerts`);
            const body = (await response.json()) as {
              data: { alerts: Array<{ labels: Record<string, string>; state: string }> };
            };
            const down = body.data.alerts.filter((a) => a.labels.alertname === "McpUpstreamDown");
            return down.some((a) => a.labels.server_name === "weather") ? down : undefined;
          },
          60_000,
        ),
      );
      expect(alerts.map((a) => [a.labels.server_name, a.state])).toEqual([
        ["weather", expect.stringMatching(/^(pending|firing)$/)],
      ]);
      // Meanwhile a client of the stopped server gets a JSON-RPC error with its request id, not a hang.
      const response = await fetch(`${endpoints.get("weather")?.proxyUrl}/mcp`, {
        method: "POST",
        headers: { "content-type": "application/json", accept: "application/json, text/event-stream" },
        body: JSON.stringify({ jsonrpc: "2.0", id: 42, method: "ping" }),
      });
      // 502 when the server is gone (local: its process killed), 504 when it hangs (kind and node
      // freeze it) — answered by the sidecar either way.
      expect([502, 504]).toContain(response.status);
      expect(await response.json()).toMatchObject({ jsonrpc: "2.0", id: 42, error: { code: expect.any(Number) } });
    });

    // Last: its own server_name comes and goes, and the tests above count every server's series.
    it.runIf(options.helmTest)(
      "passes `helm test`: the operator's webhook answers, and an MCP call through a sidecar is counted in the chart's Prometheus",
      async () => {
        const helmTest = await phases.time("helm test", () =>
          runProgram(inject("tools").HELM, [
            "test",
            "mcpscope",
            "--namespace",
            "mcpscope-system",
            "--kubeconfig",
            cluster.kubeconfigPath,
            "--timeout",
            "5m",
          ]),
        );
        if (helmTest.code !== 0) {
          // A failed test pod is kept: its log says which check failed.
          const logs = await kubectlRun(["-n", "mcpscope-system", "logs", "mcpscope-test", "--all-containers"]);
          const described = await kubectlRun(["-n", "mcpscope-system", "describe", "pod", "mcpscope-test"]);
          throw new Error(
            `helm test failed: ${helmTest.stdout}${helmTest.stderr}\n${logs.stdout}${logs.stderr}\n${described.stdout.slice(-3000)}`,
          );
        }
        expect(helmTest.stdout).toMatch(/TEST SUITE:\s+mcpscope-test/);
        expect(helmTest.stdout).toMatch(/Phase:\s+Succeeded/);
        expect(helmTest.stdout).not.toMatch(/Phase:\s+Failed/);
        // What the test pod waited for, seen from outside: its one echo call, counted once.
        const counted = await prometheusQuery(
          'sum by (server_name) (mcp_tool_calls_total{server_name=~"helm-test-.+",tool_name="echo"})',
        );
        expect(counted.map((series) => series.value)).toEqual([1]);
        // Passed: the pod and its ConfigMap are gone (hook-delete-policy hook-succeeded).
        const left = await kubectlRun(["-n", "mcpscope-system", "get", "pod,configmap", "mcpscope-test", "-o", "name"]);
        expect(left.stdout).toBe("");
      },
    );
  });
}
