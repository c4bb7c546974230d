#!/usr/bin/env python3
# Writes charts/mcpscope/files/slo-rules_test.yml: three days of one-minute samples per server, each
# server's bad events starting where its window pair needs them. Run after changing the scenarios:
#   python3 scripts/generate-slo-rules-test.py && (cd charts/mcpscope/files && promtool test rules slo-rules_test.yml)
T=4320  # eval at 3d, in minutes
def counter(before, after, S):
    """per-minute increments `before` for minutes 0..S, `after` from S to T"""
    if S == 0:
        return f"0+{after}x{T}"
    a = f"0+{before}x{S}" if before else f"0x{S}"
    v = before*S + after
    return f"{a} {v}+{after}x{T-S-1}"

TOTAL = 1600  # requests a minute; with a 93.75 % objective (budget 1/16) burn b means 100·b bad a minute
cases = [  # (server, burn, bad since minute S, expected severity or None, why)
    ("page-1h-at", 14.4, T - 60, "page", "14.4× over the last hour"),
    ("page-1h-below", 14.3, T - 60, None, "14.3× over the last hour"),
    ("page-6h-at", 6, T - 360, "page", "6× over the last six hours"),
    ("page-6h-below", 5.9, T - 360, None, "5.9× over the last six hours"),
    ("ticket-1d-at", 3, T - 1440, "ticket", "3× over the last day"),
    ("ticket-1d-below", 2.9, T - 1440, None, "2.9× over the last day"),
    ("ticket-3d-at", 1, 0, "ticket", "1× for three days"),
    ("ticket-3d-below", 0.9, 0, None, "0.9× for three days"),
]

def fmt(x):
    return str(int(x)) if float(x).is_integer() else str(x)

lines = []
L = lines.append
L("""# promtool test rules slo-rules_test.yml (from charts/mcpscope/files). Three days of one-minute samples,
# evaluated at the end: every server's bad events started at the minute its window pair needs, so each
# window pair is shown firing at its stated burn rate and silent just below it. Objectives are 93.75 %
# (an error budget of exactly 1/16) and 1,600 requests a minute: a burn rate of b is 100·b bad
# requests a minute.
rule_files:
  - slo-rules.yml
evaluation_interval: 30m
tests:""")

def avail_series(name, b, S, extra=None):
    bad = round(100 * b)
    out = [
        (f'mcp_slo_objective_ratio{{server_name="{name}",slo="availability"}}', f"0.9375x{T}"),
        (f'mcp_requests_total{{server_name="{name}",method="tools/call",status="ok"}}', counter(TOTAL, TOTAL - bad, S)),
        (f'mcp_requests_total{{server_name="{name}",method="tools/call",status="error",error_type="{extra or "internal_error"}"}}', counter(0, bad, S)),
    ]
    return out

def latency_series(name, b, S, le="0.3"):
    bad = round(100 * b)
    return [
        (f'mcp_slo_objective_ratio{{server_name="{name}",slo="latency",le="{le}"}}', f"0.9375x{T}"),
        (f'mcp_request_duration_seconds_bucket{{server_name="{name}",method="tools/call",le="0.25"}}', counter(TOTAL // 2, (TOTAL - bad) // 2, S)),
        (f'mcp_request_duration_seconds_bucket{{server_name="{name}",method="tools/call",le="{le if le != "1" else "1.0"}"}}', counter(TOTAL, TOTAL - bad, S)),
        (f'mcp_request_duration_seconds_bucket{{server_name="{name}",method="tools/call",le="+Inf"}}', counter(TOTAL, TOTAL, S)),
        (f'mcp_request_duration_seconds_count{{server_name="{name}",method="tools/call"}}', counter(TOTAL, TOTAL, S)),
    ]

def emit_series(series, comment=None):
    if comment:
        L(f"      # {comment}")
    for s, v in series:
        L(f"      - series: '{s}'")
        L(f'        values: "{v}"')

def alerts(alertname, expected, slo):
    L(f"      - eval_time: {T}m")
    L(f"        alertname: {alertname}")
    if not expected:
        L("        exp_alerts: []")
        return
    L("        exp_alerts:")
    for server, sev, value in expected:
        L(f"          - exp_labels: {{ severity: {sev}, server_name: {server}, slo: {slo} }}")
        L("            exp_annotations:")
        what = "Server faults" if slo == "availability" else "Slow answers"
        if sev == "page":
            desc = f"{what} of {server} spend its {slo} error budget at 14.4× or more over 1h and 5m, or 6× or more over 6h and 30m: at this pace the 30-day budget is gone in about 2 days (14.4×) or 5 days (6×)."
        else:
            desc = f"{what} of {server} spend its {slo} error budget at 3× or more over 1d and 2h, or 1× or more over 3d and 6h: at this pace the 30-day budget is gone in about 10 days (3×) or by the end of the period (1×)."
        L(f'              summary: "MCP server {server} burns its {slo} error budget at {value}× the sustainable rate"')
        L(f'              description: "{desc}"')

# Availability: every window pair at and just below its burn rate.
L("  - name: availability — each window pair fires at its burn rate and is silent just below it")
L("    interval: 1m")
L("    input_series:")
for name, b, S, sev, why in cases:
    emit_series(avail_series("a-" + name, b, S), f"{why}")
L("    alert_rule_test:")
exp = []
for name, b, S, sev, why in cases:
    if sev:
        exp.append(("a-" + name, sev, fmt(b)))
alerts("McpErrorBudgetBurn", sorted(exp), "availability")
alerts("McpLatencyBudgetBurn", [], "latency")

# Latency: the same pairs, on the threshold's bucket.
L("  - name: latency — each window pair fires at its burn rate and is silent just below it, on each server's own threshold bucket")
L("    interval: 1m")
L("    input_series:")
for name, b, S, sev, why in cases:
    emit_series(latency_series("l-" + name, b, S), f"{why} over 300ms")
emit_series(latency_series("l-whole-second", 14.4, T - 60, le="1"),
            "a whole-second threshold: the sidecar writes le=\"1\", Prometheus 3 stores the bucket as le=\"1.0\"")
L("    alert_rule_test:")
exp = [("l-" + n, sev, fmt(b)) for n, b, S, sev, why in cases if sev] + [("l-whole-second", "page", "14.4")]
alerts("McpLatencyBudgetBurn", sorted(exp), "latency")
alerts("McpErrorBudgetBurn", [], "availability")

# What is not a bad event.
L("  - name: caller mistakes are not server faults; input_required, cancelled and url_elicitation_required are neither good nor bad")
L("    interval: 1m")
L("    input_series:")
caller = ["invalid_params", "method_not_found", "parse_error", "invalid_request", "resource_not_found", "body_too_large", "bad_request", "404", "401"]
ser = [(f'mcp_slo_objective_ratio{{server_name="callers",slo="availability"}}', f"0.9375x{T}"),
       (f'mcp_requests_total{{server_name="callers",method="tools/call",status="ok"}}', counter(TOTAL // 4, TOTAL // 4, 0))]
for et in caller:
    ser.append((f'mcp_requests_total{{server_name="callers",method="tools/call",status="error",error_type="{et}"}}', counter(0, 200, T - 60)))
emit_series(ser, "every error for the last hour is the caller's: 1,800 of 2,200 requests a minute")
# Neutral heavy + 14.4x faults among the rest: fires only if the neutral ones are left out of the total.
ser = avail_series("waits", 14.4, T - 60) + [
    (f'mcp_requests_total{{server_name="waits",method="tools/call",status="input_required"}}', counter(10000, 10000, 0)),
    (f'mcp_requests_total{{server_name="waits",method="tools/call",status="cancelled"}}', counter(10000, 10000, 0)),
    (f'mcp_requests_total{{server_name="waits",method="tools/call",status="error",error_type="url_elicitation_required"}}', counter(10000, 10000, 0)),
]
emit_series(ser, "14.4× in server faults among its answered requests, and 30,000 a minute asking for input or cancelled: not diluted")
ser = [(f'mcp_slo_objective_ratio{{server_name="asks",slo="availability"}}', f"0.9375x{T}"),
       (f'mcp_requests_total{{server_name="asks",method="tools/call",status="ok"}}', counter(TOTAL, TOTAL, 0)),
       (f'mcp_requests_total{{server_name="asks",method="tools/call",status="input_required"}}', counter(0, 5 * TOTAL, T - 60)),
       (f'mcp_requests_total{{server_name="asks",method="tools/call",status="cancelled"}}', counter(0, 5 * TOTAL, T - 60)),
       (f'mcp_requests_total{{server_name="asks",method="tools/call",status="error",error_type="url_elicitation_required"}}', counter(0, 5 * TOTAL, T - 60))]
emit_series(ser, "no fault, and for the last hour most requests ask for input, are cancelled or need a URL elicitation: not bad")
ser = [(f'mcp_requests_total{{server_name="no-objective",method="tools/call",status="error",error_type="upstream_unreachable"}}', counter(TOTAL, TOTAL, 0))]
emit_series(ser, "every request fails (the sidecar cannot reach it), but it declares no objective")
ser = avail_series("unreachable", 14.4, T - 60, extra="upstream_unreachable")
emit_series(ser, "the sidecar's own answers for an unreachable upstream are server faults")
ser = avail_series("idle", 100, T - 120)
ser[1] = (ser[1][0], counter(TOTAL, 0, T - 120))
ser[2] = (ser[2][0], counter(0, 0, T - 120))
emit_series(ser, "no request for the last two hours: no ratio (not NaN) over the last hour, and no alert")
L("    alert_rule_test:")
alerts("McpErrorBudgetBurn", [("unreachable", "page", "14.4"), ("waits", "page", "14.4")], "availability")
L("    promql_expr_test:")
L(f"      - expr: slo:mcp_bad_events:ratio_rate1h{{server_name=~\"asks|callers|no-objective\"}}")
L(f"        eval_time: {T}m")
L("        exp_samples:")
for server, val in [("asks", "0"), ("callers", "0"), ("no-objective", "1")]:
    L(f"          - labels: 'slo:mcp_bad_events:ratio_rate1h{{server_name=\"{server}\",slo=\"availability\"}}'")
    L(f"            value: {val}")
L(f"      - expr: slo:mcp_bad_events:ratio_rate1h{{server_name=\"idle\"}}")
L(f"        eval_time: {T}m")
L("        exp_samples: []")
L(f"      - expr: slo:mcp_bad_events:ratio_rate1d{{server_name=\"idle\"}}")
L(f"        eval_time: {T}m")
L("        exp_samples:")
L("          - labels: 'slo:mcp_bad_events:ratio_rate1d{server_name=\"idle\",slo=\"availability\"}'")
L("            value: 0")
L(f"      - expr: slo:mcp_error_budget_burn:rate1h")
L(f"        eval_time: {T}m")
L("        exp_samples:")
for server, val in [("asks", "0"), ("callers", "0"), ("unreachable", "14.4"), ("waits", "14.4")]:
    L(f"          - labels: 'slo:mcp_error_budget_burn:rate1h{{server_name=\"{server}\",slo=\"availability\"}}'")
    L(f"            value: {val}")

open(__import__("os").path.join(__import__("os").path.dirname(__file__), "../charts/mcpscope/files/slo-rules_test.yml"), "w").write("\n".join(lines) + "\n")
