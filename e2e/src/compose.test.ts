import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { freePort, readMetrics, sampleValue } from "@mcpscope/sidecar/testing";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import { load } from "js-yaml";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { waitFor } from "./cluster/e2e-settings.js";
import { formatReport, PhaseTimer } from "./cluster/phases.js";
import { dashboardQueries, perServerQueries } from "./harness/dashboard.js";
import { docker } from "./harness/docker.js";
import { jaegerSearch } from "./harness/jaeger.js";
import { runProgram, stdoutOf } from "./harness/programs.js";
import { instantQuery } from "./harness/prometheus.js";

// The compose stack for real: `docker compose up --build` (Compose v2) of compose/ with tracing.yml (Jaeger), on
// the base images e2e/tools/base-images.sh provides (the real ones where present or pullable, else
// local stand-ins). Grafana has no stand-in: with its real image here, it runs too and the dashboard's
// queries are checked through Grafana's HTTP API; without it, every other service runs, the queries
// are evaluated against the compose Prometheus only, and the test output says so.

const composeDir = fileURLToPath(new URL("../../compose/", import.meta.url));
const project = `mcpscope-compose-${process.pid}`;
const servers = ["weather", "postgres"] as const;
const withoutGrafana = [
  "weather-server",
  "weather-sidecar",
  "db",
  "postgres-sidecar",
  "otelcol",
  "prometheus",
  "jaeger",
];
const grafanaImage = (
  load(readFileSync(`${composeDir}docker-compose.yml`, "utf8")) as { services: { grafana: { image: string } } }
).services.grafana.image;
/** Whether the real Grafana image is here (base-images.sh pulls it where it can). */
let withGrafana = false;
const phases = new PhaseTimer();
let ports: Record<string, string> = {};
const url = (name: string) => `http://127.0.0.1:${ports[name]}`;

/** `docker compose` (Compose v2, the CLI plugin setup.sh provides) on the project with tracing.yml. */
function compose(args: string[]) {
  const { DOCKER_CONFIG_COMPOSE } = inject("tools");
  return runProgram("docker", ["compose", "-p", project, "-f", "docker-compose.yml", "-f", "tracing.yml", ...args], {
    cwd: composeDir,
    env: {
      ...ports,
      ...(DOCKER_CONFIG_COMPOSE ? { DOCKER_CONFIG: DOCKER_CONFIG_COMPOSE } : {}),
      // BuildKit fetches the `# syntax=` frontend from a registry, and none is reachable here: the
      // classic builder, as `docker build` without buildx uses. With a registry, BuildKit works too.
      DOCKER_BUILDKIT: process.env.DOCKER_BUILDKIT ?? "0",
    },
  });
}

async function prometheusQuery(query: string) {
  const answer = await instantQuery(url("PROMETHEUS_PORT"), query);
  if (answer.status !== "success") throw new Error(`${query}: ${answer.error}`);
  return answer.series;
}

/** What each conversation sends: tool calls that succeed and one that fails, per server. */
const sent = { weather: { ok: 3, failed: 1 }, postgres: { ok: 2, failed: 1 } };

async function converse(server: (typeof servers)[number]) {
  const client = new Client({ name: "mcpscope-compose", version: "1.0.0" });
  const transport = new StreamableHTTPClientTransport(
    new URL(`${url(server === "weather" ? "WEATHER_SIDECAR_PORT" : "POSTGRES_SIDECAR_PORT")}/mcp`),
  );
  await client.connect(transport);
  const tools = (await client.listTools()).tools.map((t) => t.name);
  const results: unknown[] = [];
  for (let i = 0; i < sent[server].ok; i++) {
    results.push(
      server === "weather"
        ? await client.callTool({ name: "echo", arguments: { message: `hi ${i}` } })
        : await client.callTool({ name: "query", arguments: { sql: `SELECT ${i} AS n` } }),
    );
  }
  const failing =
    server === "weather"
      ? await client.callTool({ name: "get-sum", arguments: { a: "not a number", b: 1 } })
      : await client
          .callTool({ name: "query", arguments: { sql: "SELECT FROM nowhere" } })
          .catch((error: unknown) => ({ rejected: String(error) }));
  await transport.terminateSession();
  await client.close();
  return { tools, results, failing };
}

beforeAll(async () => {
  ports = Object.fromEntries(
    await Promise.all(
      [
        "WEATHER_SIDECAR_PORT",
        "WEATHER_METRICS_PORT",
        "POSTGRES_SIDECAR_PORT",
        "POSTGRES_METRICS_PORT",
        "COLLECTOR_METRICS_PORT",
        "COLLECTOR_OTLP_PORT",
        "PROMETHEUS_PORT",
        "GRAFANA_PORT",
        "JAEGER_PORT",
      ].map(async (name) => [name, String(await freePort())]),
    ),
  );
  withGrafana = (await docker(["image", "inspect", grafanaImage])).code === 0;
  if (!withGrafana)
    console.log(
      `Grafana NOT checked: ${grafanaImage} is not here and could not be pulled; the dashboard's queries run on the compose Prometheus only`,
    );
  const services = withGrafana ? [...withoutGrafana, "grafana"] : withoutGrafana;
  await phases.time(`docker compose up --build (${withGrafana ? "all services" : "all but grafana"})`, async () => {
    stdoutOf(await compose(["up", "-d", "--build", ...services]), "docker compose up");
  });
  await phases.time("sidecars healthy (their servers answer)", async () => {
    for (const port of ["WEATHER_SIDECAR_PORT", "POSTGRES_SIDECAR_PORT"]) {
      await waitFor(
        `${port}'s /health`,
        async () => (await fetch(`${url(port)}/health`).catch(() => undefined))?.ok,
        120_000,
      );
    }
  });
}, 1_200_000);

afterAll(async () => {
  const logs = await compose(["logs", "--no-color", "--tail", "30"]);
  const down = await phases.time("docker compose down", () => compose(["down", "-v", "--remove-orphans"]));
  const title = withGrafana
    ? "mcpscope compose (with Grafana)"
    : `mcpscope compose (Grafana not started: no ${grafanaImage})`;
  console.log(formatReport(title, {}, phases.phases));
  if (down.code !== 0) throw new Error(`docker compose down failed:\n${down.stderr}\n${logs.stdout}`);
}, 300_000);

describe("docker compose up: two servers behind two sidecars, the collector, Prometheus and Jaeger", {
  timeout: 300_000,
}, () => {
  it("answers MCP through both sidecars (HTTP server, and the stdio postgres server in command mode)", async () => {
    const weather = await converse("weather");
    expect(weather.tools).toContain("echo");
    expect(weather.results[0]).toEqual({ content: [{ type: "text", text: "Echo: hi 0" }] });
    expect(weather.failing).toMatchObject({ isError: true });
    const postgres = await converse("postgres");
    expect(postgres.tools).toEqual(["query"]);
    expect(JSON.stringify(postgres.results[1])).toContain('\\"n\\": 1');
    // server-postgres throws on bad SQL: a JSON-RPC error, not a tool result.
    expect(postgres.failing).toMatchObject({ rejected: expect.stringContaining("nowhere") });
    for (const [server, metricsPort] of [
      ["weather", "WEATHER_METRICS_PORT"],
      ["postgres", "POSTGRES_METRICS_PORT"],
    ] as const) {
      const metrics = await readMetrics(`${url(metricsPort)}/metrics`);
      expect(sampleValue(metrics, "mcp_tool_calls_total", { server_name: server, status: "ok" })).toBe(sent[server].ok);
    }
  });

  it("exports the objectives compose sets (MCP_SLO_*), and Prometheus loads the SLO rules and records both servers' burn rates", async () => {
    // rate() over a window needs the counters to move between two scrapes: once Prometheus holds the
    // first round, a second round of traffic (as under steady use).
    await waitFor(
      "Prometheus to hold both servers' first round of tool calls",
      async () => {
        const counts = await prometheusQuery("sum by (server_name) (mcp_tool_calls_total)");
        return servers.every(
          (s) => counts.find((c) => c.metric.server_name === s)?.value === sent[s].ok + sent[s].failed,
        );
      },
      120_000,
    );
    for (const server of servers) await converse(server);
    const burn = await phases
      .time("objectives → collector → Prometheus → SLO rules", () =>
        waitFor(
          "the recorded 1h burn rates of both servers' two objectives",
          async () => {
            const series = await prometheusQuery("slo:mcp_error_budget_burn:rate1h");
            return series.length === 4 ? series : undefined;
          },
          120_000,
        ),
      )
      .catch(async (error: unknown) => {
        // Say why: each SLO rule's health and last error, and what was recorded.
        const rules = await (await fetch(`${url("PROMETHEUS_PORT")}/api/v1/rules`)).text();
        const recorded = await prometheusQuery('{__name__=~"slo:.*"}');
        throw new Error(`${String(error)}\nrules: ${rules}\nrecorded: ${JSON.stringify(recorded)}`);
      });
    expect(burn.map((s) => `${s.metric.server_name}/${s.metric.slo}`).sort()).toEqual([
      "postgres/availability",
      "postgres/latency",
      "weather/availability",
      "weather/latency",
    ]);
    const objectives = await prometheusQuery("max by (server_name, slo, le) (mcp_slo_objective_ratio)");
    expect(
      objectives
        .map((s) => [s.metric.server_name, s.metric.slo, s.metric.le, s.value])
        .sort((a, b) => `${a[0]}/${a[1]}`.localeCompare(`${b[0]}/${b[1]}`)),
    ).toEqual([
      ["postgres", "availability", undefined, 0.995],
      ["postgres", "latency", "2", 0.95],
      ["weather", "availability", undefined, 0.999],
      ["weather", "latency", "0.5", 0.99],
    ]);
    const response = await fetch(`${url("PROMETHEUS_PORT")}/api/v1/rules`);
    const { data } = (await response.json()) as {
      data: { groups: Array<{ name: string; file: string; rules: Array<{ health: string }> }> };
    };
    const slo = data.groups.filter((g) => g.file.endsWith("slo-rules.yml"));
    expect(slo.map((g) => g.name).sort()).toEqual([
      "mcpscope-slo-availability",
      "mcpscope-slo-latency",
      "mcpscope-slo-objectives",
    ]);
    expect(slo.flatMap((g) => g.rules).every((r) => r.health === "ok")).toBe(true);
  });

  it("the per-server queries and the dashboard's return both servers from the compose Prometheus", async () => {
    await phases.time("OTLP → collector → Prometheus (15 s scrapes)", () =>
      waitFor(
        "Prometheus to hold both servers' tool calls",
        async () => {
          const counts = await prometheusQuery("sum by (server_name) (mcp_tool_calls_total)");
          return servers.every(
            // Two rounds: the SLO test above sent a second one.
            (s) => counts.find((c) => c.metric.server_name === s)?.value === 2 * (sent[s].ok + sent[s].failed),
          );
        },
        120_000,
      ),
    );
    // rate() needs two samples of each series: wait for the next scrape.
    await waitFor(
      "two scrapes of every per-server query's series",
      async () => {
        for (const expr of Object.values(perServerQueries)) {
          const names = new Set((await prometheusQuery(expr)).map((r) => r.metric.server_name));
          if (!servers.every((s) => names.has(s))) return false;
        }
        return true;
      },
      120_000,
    );
    for (const { panel, expr, mayBeEmpty } of await dashboardQueries(servers)) {
      const names = new Set((await prometheusQuery(expr)).map((r) => r.metric.server_name));
      expect({ panel, names: servers.filter((s) => names.has(s)) }).toEqual({
        panel,
        names: mayBeEmpty ? [] : [...servers],
      });
    }
  });

  it("Grafana serves the shipped dashboard and answers its queries with both servers (when its image is here)", async () => {
    if (!withGrafana) {
      console.log(
        `Grafana NOT checked: no ${grafanaImage} on this machine (see the dashboard's queries on Prometheus above)`,
      );
      expect((await docker(["image", "inspect", grafanaImage])).code).not.toBe(0);
      return;
    }
    const grafana = url("GRAFANA_PORT");
    const auth = { authorization: `Basic ${Buffer.from("admin:admin").toString("base64")}` };
    const dashboard = await waitFor(
      "Grafana to serve the provisioned dashboard",
      async () => {
        const response = await fetch(`${grafana}/api/dashboards/uid/mcpscope-servers`, { headers: auth }).catch(
          () => undefined,
        );
        return response?.ok
          ? ((await response.json()) as { dashboard: { panels: Array<{ title: string }> } })
          : undefined;
      },
      120_000,
    );
    const queries = await dashboardQueries(servers);
    expect(dashboard.dashboard.panels.map((p) => p.title)).toEqual(expect.arrayContaining(queries.map((q) => q.panel)));
    for (const { panel, expr, mayBeEmpty } of queries) {
      const response = await fetch(`${grafana}/api/ds/query`, {
        method: "POST",
        headers: { ...auth, "content-type": "application/json" },
        body: JSON.stringify({
          from: "now-5m",
          to: "now",
          queries: [{ refId: "A", datasource: { type: "prometheus", uid: "prometheus" }, expr, instant: true }],
        }),
      });
      expect(response.status, `${panel}: ${expr}`).toBe(200);
      const body = (await response.json()) as {
        results: { A: { frames?: Array<{ schema?: { fields?: Array<{ labels?: Record<string, string> }> } }> } };
      };
      const names = new Set(
        (body.results.A.frames ?? []).flatMap((f) =>
          (f.schema?.fields ?? []).map((field) => field.labels?.server_name),
        ),
      );
      expect({ panel, names: servers.filter((s) => names.has(s)) }).toEqual({
        panel,
        names: mayBeEmpty ? [] : [...servers],
      });
    }
  });

  it("sends both sidecars' spans through the collector to Jaeger (tracing.yml)", async () => {
    const spans = await waitFor(
      "Jaeger to hold both servers' tool calls",
      async () => {
        const found = await Promise.all(servers.map((s) => jaegerSearch(url("JAEGER_PORT"), `mcp-sidecar-${s}`)));
        return found.every((f) => f.some((span) => span.tags["mcp.method.name"] === "tools/call")) ? found : undefined;
      },
      60_000,
    );
    expect(spans[1]?.find((s) => s.operationName === "tools/call query")?.tags).toMatchObject({
      server_name: "postgres",
      "network.transport": "pipe",
    });
  });

  it("fires McpUpstreamDown for the stopped server only, after the rule's 1 m", async () => {
    stdoutOf(await compose(["stop", "weather-server"]), "docker compose stop weather-server");
    const firing = await phases.time("weather-server stopped → McpUpstreamDown firing", () =>
      waitFor(
        "McpUpstreamDown firing for weather",
        async () => {
          const response = await fetch(`${url("PROMETHEUS_PORT")}/api/v1/alerts`);
          const body = (await response.json()) as {
            data: { alerts: Array<{ labels: Record<string, string>; state: string }> };
          };
          const down = body.data.alerts.filter((a) => a.labels.alertname === "McpUpstreamDown");
          return down.some((a) => a.labels.server_name === "weather" && a.state === "firing") ? down : undefined;
        },
        240_000,
      ),
    );
    expect(firing.map((a) => [a.labels.server_name, a.state])).toEqual([["weather", "firing"]]);
  });
});
