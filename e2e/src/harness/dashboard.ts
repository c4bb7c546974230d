import { readFile } from "node:fs/promises";
import { fileURLToPath } from "node:url";

const dashboardPath = fileURLToPath(
  new URL("../../../charts/mcpscope/files/dashboards/mcpscope-servers.json", import.meta.url),
);

/** The four per-server PromQL queries a team asks first (request rate, tool-call rate, error rate, p95 latency), verbatim. */
export const perServerQueries = {
  requestRate: "sum(rate(mcp_requests_total[5m])) by (server_name)",
  toolCallRate: "sum(rate(mcp_tool_calls_total[5m])) by (server_name, tool_name)",
  errorRate:
    'sum(rate(mcp_requests_total{status="error"}[5m])) by (server_name) / sum(rate(mcp_requests_total[5m])) by (server_name)',
  p95Latency: "histogram_quantile(0.95, sum by (le, server_name) (rate(mcp_request_duration_seconds_bucket[5m])))",
};

export interface DashboardQuery {
  panel: string;
  /** The panel's PromQL with $server_name selecting `servers`, $__rate_interval at 1m, other variables at their defaults. */
  expr: string;
  /** Sidecar-answered failures may not have happened yet: that panel may be empty. */
  mayBeEmpty: boolean;
}

/** Every query of the shipped Grafana dashboard, as Grafana sends it with `servers` selected. */
export async function dashboardQueries(servers: readonly string[]): Promise<DashboardQuery[]> {
  const dashboard = JSON.parse(await readFile(dashboardPath, "utf8")) as {
    templating: { list: DashboardVariable[] };
    panels: Array<{ title: string; targets?: Array<{ expr?: string }> }>;
  };
  const selected = servers.join("|");
  return dashboard.panels.flatMap((panel) =>
    (panel.targets ?? []).flatMap((target) => {
      if (!target.expr) return [];
      const expr = withVariableDefaults(
        target.expr.replaceAll("$server_name", selected).replaceAll("$__rate_interval", "1m"),
        dashboard.templating.list,
      );
      return [{ panel: panel.title, expr, mayBeEmpty: expr.includes("mcp_sidecar_errors_total") }];
    }),
  );
}

/** A dashboard template variable; custom ones (e.g. the result token budget) have a default value. */
export interface DashboardVariable {
  name: string;
  type: string;
  current?: { value?: string };
}

/** Writes each custom variable's default value for its `$name`, as Grafana does on first load. */
export function withVariableDefaults(expr: string, variables: readonly DashboardVariable[]): string {
  let written = expr;
  for (const variable of variables) {
    const value = variable.current?.value;
    if (variable.type === "custom" && value !== undefined) written = written.replaceAll(`$${variable.name}`, value);
  }
  return written;
}
