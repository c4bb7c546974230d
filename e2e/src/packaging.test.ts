import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { buildOperatorRbac, buildSidecarContainer, operatorNodeFlags } from "@mcpscope/operator";
import { buildWebhookConfiguration } from "@mcpscope/operator/webhook";
import {
  callerMistakeErrorTypes,
  resultTokenBuckets,
  sidecarCommandLineFlags,
  sidecarImageUid,
  sidecarNodeFlags,
  sloCallerMistakeErrorTypes,
  sloNeutralErrorTypes,
} from "@mcpscope/sidecar/constants";
import { load } from "js-yaml";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { runAsNonRootRefusal, userOf } from "./cluster/dockerfile.js";
import { type ControlPlane, startControlPlane } from "./harness/control-plane.js";
import { type DashboardVariable, withVariableDefaults } from "./harness/dashboard.js";
import { chartDir, findObject, helmTemplate, type KubeObject, parseObjects } from "./harness/helm.js";
import { kubectlWith, runProgram } from "./harness/programs.js";
import { instantQuery, type RunningPrometheus, startPrometheus } from "./harness/prometheus.js";

const repo = (path: string) => fileURLToPath(new URL(`../../${path}`, import.meta.url));
const allOnValues = join(chartDir, "ci/all-on-values.yaml");
const filesDir = join(chartDir, "files");
const dashboardsDir = join(filesDir, "dashboards");

describe("the Helm chart", () => {
  it("passes helm lint --strict with default values and with every optional part on", async () => {
    const { HELM } = inject("tools");
    for (const values of [[], ["--values", allOnValues]]) {
      const lint = await runProgram(HELM, ["lint", "--strict", chartDir, ...values]);
      expect(lint.stdout + lint.stderr).toContain("1 chart(s) linted, 0 chart(s) failed");
      expect(lint.code).toBe(0);
    }
  });

  it("rejects values that values.schema.json forbids, naming the path", async () => {
    const { HELM } = inject("tools");
    const negative = await helmTemplate(HELM, { set: { "operator.replicas": "-1" } });
    expect(negative.code).not.toBe(0);
    expect(negative.stderr).toContain("at '/operator/replicas': minimum: got -1, want 1");
    const unknown = await helmTemplate(HELM, { set: { "grafana.adminPassword": "hunter2" } });
    expect(unknown.code).not.toBe(0);
    expect(unknown.stderr).toContain("additional properties 'adminPassword' not allowed");
  });

  it("renders default values to the operator, its least-privilege RBAC, the webhook and the monitoring stack", async () => {
    const rendered = await helmTemplate(inject("tools").HELM);
    expect(rendered.stderr).toBe("");
    const objects = parseObjects(rendered.stdout);
    expect(objects.map((o) => `${o.kind}/${o.metadata.name}`).sort()).toEqual([
      "ClusterRole/mcpscope-operator",
      "ClusterRoleBinding/mcpscope-operator",
      "ConfigMap/mcpscope-collector",
      "ConfigMap/mcpscope-grafana-dashboards",
      "ConfigMap/mcpscope-grafana-provisioning",
      "ConfigMap/mcpscope-prometheus",
      "Deployment/mcpscope-collector",
      "Deployment/mcpscope-grafana",
      "Deployment/mcpscope-operator",
      "Deployment/mcpscope-prometheus",
      "MutatingWebhookConfiguration/mcpscope-webhook",
      "Role/mcpscope-operator",
      "RoleBinding/mcpscope-operator",
      "Secret/mcpscope-grafana-admin",
      "Service/mcpscope-collector",
      "Service/mcpscope-grafana",
      "Service/mcpscope-prometheus",
      "Service/mcpscope-webhook",
      "ServiceAccount/mcpscope-operator",
      "ServiceAccount/mcpscope-prometheus",
      "ValidatingAdmissionPolicy/mcpscope-mcpserver-references",
      "ValidatingAdmissionPolicyBinding/mcpscope-mcpserver-references",
    ]);
    // RBAC in the chart is exactly what operator/src/rbac.ts grants (and what the process tests run with).
    const rbac = buildOperatorRbac({
      name: "mcpscope-operator",
      namespace: "mcpscope-system",
      webhookConfigurationName: "mcpscope-webhook",
      leaseName: "mcpscope-operator",
      webhookSecretName: "mcpscope-webhook-tls",
    });
    expect(findObject(objects, "ClusterRole", "mcpscope-operator").rules).toEqual(rbac.clusterRole.rules);
    expect(findObject(objects, "Role", "mcpscope-operator").rules).toEqual(rbac.role.rules);

    const operator = findObject(objects, "Deployment", "mcpscope-operator") as KubeObject & {
      spec: { template: { spec: PodSpec } };
    };
    const pod = operator.spec.template.spec;
    expect(pod.serviceAccountName).toBe("mcpscope-operator");
    expect(pod.securityContext).toMatchObject({ runAsNonRoot: true, seccompProfile: { type: "RuntimeDefault" } });
    const container = pod.containers[0];
    expect(container?.securityContext).toMatchObject({
      allowPrivilegeEscalation: false,
      readOnlyRootFilesystem: true,
      capabilities: { drop: ["ALL"] },
    });
    expect(container?.livenessProbe?.httpGet?.path).toBe("/healthz");
    expect(container?.readinessProbe?.httpGet?.path).toBe("/readyz");
    expect(container?.resources?.limits?.memory).toBe("512Mi");
    // The V8 heap is capped well under the memory limit, so it cannot grow into an OOM kill.
    expect(container?.env).toContainEqual({ name: "NODE_OPTIONS", value: "--max-old-space-size=256" });

    // The Grafana admin password is a generated Secret, never a literal in values or the Deployment.
    const grafana = JSON.stringify(findObject(objects, "Deployment", "mcpscope-grafana"));
    expect(grafana).toContain('"secretKeyRef":{"name":"mcpscope-grafana-admin","key":"admin-password"}');
    const secret = findObject(objects, "Secret", "mcpscope-grafana-admin") as KubeObject & {
      data: Record<string, string>;
    };
    expect(Buffer.from(secret.data["admin-password"] ?? "", "base64").toString()).toMatch(/^[A-Za-z0-9]{24,}$/);

    // Pod creation never waits on a missing webhook, and the control plane's own namespaces are left alone.
    const webhook = findObject(objects, "MutatingWebhookConfiguration") as KubeObject & {
      webhooks: Array<{ failurePolicy: string; sideEffects: string; namespaceSelector: unknown; rules: unknown }>;
    };
    expect(webhook.webhooks[0]).toMatchObject({
      failurePolicy: "Ignore",
      sideEffects: "None",
      namespaceSelector: {
        matchExpressions: [
          { key: "kubernetes.io/metadata.name", operator: "NotIn", values: ["kube-system", "mcpscope-system"] },
        ],
      },
      rules: [{ apiGroups: [""], apiVersions: ["v1"], operations: ["CREATE"], resources: ["pods"] }],
    });
  });

  it("with tracing.jaeger.enabled: Jaeger with the shipped config, the collector's overlay to it, and Grafana's Jaeger data source the latency panel links to", async () => {
    const off = parseObjects((await helmTemplate(inject("tools").HELM)).stdout);
    expect(off.filter((o) => o.metadata.name === "mcpscope-jaeger")).toEqual([]);
    const objects = parseObjects(
      (await helmTemplate(inject("tools").HELM, { set: { "tracing.jaeger.enabled": "true" } })).stdout,
    );
    const jaegerConfig = findObject(objects, "ConfigMap", "mcpscope-jaeger") as KubeObject & {
      data: Record<string, string>;
    };
    expect(jaegerConfig.data["config.yaml"]).toBe(await readFile(join(filesDir, "jaeger-config.yaml"), "utf8"));
    const jaeger = findObject(objects, "Deployment", "mcpscope-jaeger") as KubeObject & {
      spec: { template: { spec: PodSpec } };
    };
    expect(jaeger.spec.template.spec.containers[0]?.readinessProbe?.httpGet?.path).toBe("/status");
    const service = findObject(objects, "Service", "mcpscope-jaeger") as KubeObject & {
      spec: { ports: Array<{ port: number }> };
    };
    expect(service.spec.ports.map((p) => p.port)).toEqual([4317, 4318, 16686]);

    const collectorConfig = findObject(objects, "ConfigMap", "mcpscope-collector") as KubeObject & {
      data: Record<string, string>;
    };
    expect(collectorConfig.data["jaeger.yaml"]).toBe(
      await readFile(join(filesDir, "otel-collector-jaeger.yaml"), "utf8"),
    );
    const collector = findObject(objects, "Deployment", "mcpscope-collector") as KubeObject & {
      spec: { template: { spec: PodSpec & { containers: Array<{ args?: string[] }> } } };
    };
    const collectorContainer = collector.spec.template.spec.containers[0];
    expect(collectorContainer?.args).toEqual([
      "--config=/etc/otelcol/config.yaml",
      "--config=/etc/otelcol/jaeger.yaml",
    ]);
    expect(collectorContainer?.env).toEqual([{ name: "OTELCOL_JAEGER_ENDPOINT", value: "mcpscope-jaeger:4317" }]);

    const provisioning = findObject(objects, "ConfigMap", "mcpscope-grafana-provisioning") as KubeObject & {
      data: Record<string, string>;
    };
    const datasources = (
      load(provisioning.data["datasources.yaml"] ?? "") as {
        datasources: Array<{ uid: string; type: string; url: string }>;
      }
    ).datasources;
    expect(datasources.find((d) => d.type === "jaeger")).toEqual(
      expect.objectContaining({ uid: "jaeger", url: "http://mcpscope-jaeger:16686" }),
    );
    // The latency panel's data link opens Explore on that data source, for the clicked server's service.
    const dashboard = JSON.parse(await readFile(join(dashboardsDir, "mcpscope-servers.json"), "utf8")) as {
      panels: Array<{ title: string; fieldConfig?: { defaults?: { links?: Array<{ url: string }> } } }>;
    };
    const latency = dashboard.panels.find((p) => p.title === "p95 latency by server");
    const url = latency?.fieldConfig?.defaults?.links?.[0]?.url ?? "";
    const pane = JSON.parse(decodeURIComponent(new URL(url, "http://grafana").searchParams.get("panes") ?? "{}")) as {
      a: { datasource: string; queries: Array<{ queryType: string; service: string }> };
    };
    expect(pane.a.datasource).toBe("jaeger");
    expect(pane.a.queries[0]).toMatchObject({
      queryType: "search",
      // biome-ignore lint/suspicious/noTemplateCurlyInString: a Grafana variable, not JavaScript's.
      service: "mcp-sidecar-${__field.labels.server_name}",
    });
  });

  it("pages McpHighErrorRate on server faults only: its exclusion list is the sidecar's caller-mistake error types", async () => {
    const alerts = load(await readFile(join(filesDir, "alerts.yml"), "utf8")) as {
      groups: Array<{ rules: Array<{ alert?: string; expr: string }> }>;
    };
    const rule = alerts.groups.flatMap((g) => g.rules).find((r) => r.alert === "McpHighErrorRate");
    const excluded = /error_type!~"([^"]+)"/.exec(rule?.expr ?? "")?.[1]?.split("|") ?? [];
    expect([...excluded].sort()).toEqual([...callerMistakeErrorTypes].sort());
  });

  it("counts availability SLO bad events as the sidecar classifies them: caller mistakes and HTTP 4xx are not faults, URL elicitations neither good nor bad", async () => {
    const rules = load(await readFile(join(filesDir, "slo-rules.yml"), "utf8")) as {
      groups: Array<{ rules: Array<{ record?: string; labels?: Record<string, string>; expr: string }> }>;
    };
    const availability = rules.groups
      .flatMap((g) => g.rules)
      .filter((r) => r.record?.startsWith("slo:mcp_bad_events:") && r.labels?.slo === "availability");
    expect(availability.map((r) => r.record)).toEqual(
      ["5m", "30m", "1h", "2h", "6h", "1d", "3d"].map((w) => `slo:mcp_bad_events:ratio_rate${w}`),
    );
    for (const rule of availability) {
      const [bad, valid] = [...rule.expr.matchAll(/error_type!~"([^"]+)"/g)].map((m) => m[1]?.split("|"));
      expect(bad).toEqual([...sloCallerMistakeErrorTypes, "4[0-9][0-9]", ...sloNeutralErrorTypes]);
      expect(valid).toEqual([...sloNeutralErrorTypes]);
    }
  });

  it("renders the MutatingWebhookConfiguration the operator's tests build (operator/src/webhook/configuration.ts)", async () => {
    const objects = parseObjects((await helmTemplate(inject("tools").HELM)).stdout);
    const chart = findObject(objects, "MutatingWebhookConfiguration", "mcpscope-webhook") as KubeObject & {
      webhooks: unknown[];
    };
    const built = buildWebhookConfiguration({
      name: "mcpscope-webhook",
      target: { service: { name: "mcpscope-webhook", namespace: "mcpscope-system", port: 443 } },
      excludedNamespaces: ["kube-system", "mcpscope-system"],
    });
    expect(chart.webhooks).toEqual(built.webhooks);
  });

  it("ships the same alert rules as a PrometheusRule and a ConfigMap as compose mounts them", async () => {
    const rendered = await helmTemplate(inject("tools").HELM, { valuesFiles: [allOnValues] });
    expect(rendered.code).toBe(0);
    const objects = parseObjects(rendered.stdout);
    const alerts = load(await readFile(join(filesDir, "alerts.yml"), "utf8"));
    expect((findObject(objects, "PrometheusRule") as KubeObject & { spec: unknown }).spec).toEqual(alerts);
    const configMap = findObject(objects, "ConfigMap", "mcpscope-prometheus") as KubeObject & {
      data: Record<string, string>;
    };
    expect(configMap.data["alerts.yml"]).toBe(await readFile(join(filesDir, "alerts.yml"), "utf8"));
    // The SLO rules likewise, in a PrometheusRule of their own and beside alerts.yml in the ConfigMap.
    const sloRules = load(await readFile(join(filesDir, "slo-rules.yml"), "utf8"));
    expect((findObject(objects, "PrometheusRule", "mcpscope-slo") as KubeObject & { spec: unknown }).spec).toEqual(
      sloRules,
    );
    expect(configMap.data["slo-rules.yml"]).toBe(await readFile(join(filesDir, "slo-rules.yml"), "utf8"));
    expect(configMap.data["prometheus.yml"]).toContain(
      "rule_files: [/etc/prometheus/alerts.yml, /etc/prometheus/slo-rules.yml]",
    );
    expect(findObject(objects, "ServiceMonitor").metadata.labels).toMatchObject({ release: "kube-prometheus-stack" });
    expect(findObject(objects, "PodMonitor").kind).toBe("PodMonitor");
    expect(findObject(objects, "Certificate").kind).toBe("Certificate");
  });

  it("writes the chart's context-cost budgets over every default of alerts.yml, in the ConfigMap and the PrometheusRule alike", async () => {
    const shipped = await readFile(join(filesDir, "alerts.yml"), "utf8");
    const defaults = [
      ['le="25000"', 'le="50000"'],
      ["result budget of 25000 tokens", "result budget of 50000 tokens"],
      ["(mcp_tools_list_tokens) > 20000", "(mcp_tools_list_tokens) > 40000"],
      ["catalogue budget of 20000 tokens", "catalogue budget of 40000 tokens"],
    ];
    // Each default stands once in the file: the chart's replace finds it, and nothing else.
    for (const [written] of defaults) expect(shipped.split(written ?? "")).toHaveLength(2);
    const rendered = await helmTemplate(inject("tools").HELM, {
      valuesFiles: [allOnValues],
      set: { "contextCost.toolResultTokenBudget": "50000", "contextCost.toolCatalogueTokenBudget": "40000" },
    });
    expect(rendered.code).toBe(0);
    const expected = defaults.reduce((text, [from, to]) => text.replace(from ?? "", to ?? ""), shipped);
    const objects = parseObjects(rendered.stdout);
    const configMap = findObject(objects, "ConfigMap", "mcpscope-prometheus") as KubeObject & {
      data: Record<string, string>;
    };
    expect(configMap.data["alerts.yml"]).toBe(expected);
    expect((findObject(objects, "PrometheusRule") as KubeObject & { spec: unknown }).spec).toEqual(load(expected));
    // A result budget must be a bucket bound of mcp_tool_result_tokens for its count to be exact.
    const notBound = await helmTemplate(inject("tools").HELM, {
      set: { "contextCost.toolResultTokenBudget": "30000" },
    });
    expect(notBound.code).not.toBe(0);
    const schema = JSON.parse(await readFile(join(chartDir, "values.schema.json"), "utf8")) as {
      properties: { contextCost: { properties: { toolResultTokenBudget: { enum: number[] } } } };
    };
    for (const budget of schema.properties.contextCost.properties.toolResultTokenBudget.enum) {
      expect(resultTokenBuckets).toContain(budget);
    }
  });

  describe("on a real kube-apiserver (server-side dry-run validates against its schemas)", () => {
    let cp: ControlPlane;
    const kubectl = kubectlWith(
      () => inject("tools").KUBECTL,
      () => cp.kubeconfigPath,
    );

    beforeAll(async () => {
      cp = await startControlPlane(inject("tools"), { controllerManager: false });
      expect((await kubectl(["create", "namespace", "mcpscope-system", "--save-config"])).code).toBe(0);
      const fakes = await kubectl(["apply", "-f", repo("e2e/src/fixtures/fake-third-party-crds.yaml")]);
      expect(fakes.stderr).toBe("");
      expect((await kubectl(["wait", "--for=condition=Established", "crd", "--all", "--timeout=30s"])).code).toBe(0);
    }, 120_000);

    afterAll(async () => {
      await cp?.stop();
    });

    for (const [name, valuesFiles] of [
      ["default values", []],
      ["every optional part on", [allOnValues]],
    ] as const) {
      it(`accepts the chart rendered with ${name}`, async () => {
        const rendered = await helmTemplate(inject("tools").HELM, { valuesFiles: [...valuesFiles], includeCrds: true });
        expect(rendered.code).toBe(0);
        const applied = await kubectl(["apply", "--dry-run=server", "-f", "-"], rendered.stdout);
        expect(applied.stderr).toBe("");
        expect(applied.code).toBe(0);
        // One line per object: nothing was skipped.
        expect(applied.stdout.trim().split("\n")).toHaveLength(parseObjects(rendered.stdout).length);
      });
    }

    it("accepts manifests/mcpscope.yaml as `kubectl apply -f manifests/` would send it", async () => {
      const applied = await kubectl(["apply", "--dry-run=server", "-f", repo("manifests/")]);
      expect(applied.stderr).toBe("");
      expect(applied.stdout).toContain("deployment.apps/mcpscope-operator created (server dry run)");
      expect(applied.stdout).toContain("customresourcedefinition.apiextensions.k8s.io/mcpservers.mcpscope.dev");
    });
  });
});

describe("plain manifests", () => {
  it("are what scripts/generate-manifests.sh renders from the chart today (run `npm run generate:manifests`)", async () => {
    const dir = await mkdtemp(join(tmpdir(), "mcpscope-manifests-"));
    try {
      const out = join(dir, "mcpscope.yaml");
      const generated = await runProgram("bash", [repo("scripts/generate-manifests.sh"), out], {
        cwd: repo("."),
        input: "",
      });
      expect(generated.code).toBe(0);
      expect(await readFile(repo("manifests/mcpscope.yaml"), "utf8")).toBe(await readFile(out, "utf8"));
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it("commit no Grafana password: they reference a Secret the user creates", async () => {
    const objects = parseObjects(await readFile(repo("manifests/mcpscope.yaml"), "utf8"));
    expect(objects.some((o) => o.kind === "Secret")).toBe(false);
    expect(findObject(objects, "Namespace", "mcpscope-system").metadata.name).toBe("mcpscope-system");
    expect(JSON.stringify(findObject(objects, "Deployment", "mcpscope-grafana"))).toContain("mcpscope-grafana-admin");
  });
});

describe("alert rules", () => {
  it("pass promtool check rules", async () => {
    const check = await runProgram(inject("tools").PROMTOOL, ["check", "rules", join(filesDir, "alerts.yml")]);
    const alerts = load(await readFile(join(filesDir, "alerts.yml"), "utf8")) as {
      groups: Array<{ rules: unknown[] }>;
    };
    const rules = alerts.groups.reduce((count, group) => count + group.rules.length, 0);
    expect(rules).toBeGreaterThanOrEqual(7);
    expect(check.stdout + check.stderr).toContain(`SUCCESS: ${rules} rules found`);
    expect(check.code).toBe(0);
  });

  it("pass their unit tests (promtool test rules alerts_test.yml)", async () => {
    const test = await runProgram(inject("tools").PROMTOOL, ["test", "rules", "alerts_test.yml"], { cwd: filesDir });
    expect(test.stdout + test.stderr).toContain("SUCCESS");
    expect(test.code).toBe(0);
  });
});

describe("SLO rules", () => {
  it("pass promtool check rules: a bad-event ratio and a burn rate per window and objective, two alerts each", async () => {
    const check = await runProgram(inject("tools").PROMTOOL, ["check", "rules", join(filesDir, "slo-rules.yml")]);
    // 1 objective + 2 objectives × (7 ratios + 7 burn rates + 2 alerts)
    expect(check.stdout + check.stderr).toContain("SUCCESS: 33 rules found");
    expect(check.code).toBe(0);
  });

  it("pass their unit tests: every window pair fires at its burn rate and not just below, caller mistakes and input_required/cancelled never page (promtool test rules slo-rules_test.yml)", async () => {
    const test = await runProgram(inject("tools").PROMTOOL, ["test", "rules", "slo-rules_test.yml"], {
      cwd: filesDir,
    });
    expect(test.stdout + test.stderr).toContain("SUCCESS");
    expect(test.code).toBe(0);
  }, 300_000);
});

describe("Prometheus configurations", () => {
  /** `promtool check config` on this config with the alert rules beside it, in a temp dir. */
  async function checkConfig(config: string, alerts: string, sloRules: string) {
    const dir = await mkdtemp(join(tmpdir(), "mcpscope-promconfig-"));
    try {
      await writeFile(join(dir, "prometheus.yml"), config);
      await writeFile(join(dir, "alerts.yml"), alerts);
      await writeFile(join(dir, "slo-rules.yml"), sloRules);
      return await runProgram(inject("tools").PROMTOOL, ["check", "config", join(dir, "prometheus.yml")]);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  }

  it("compose/prometheus.yml passes promtool check config with the shipped alerts", async () => {
    const check = await checkConfig(
      await readFile(repo("compose/prometheus.yml"), "utf8"),
      await readFile(join(filesDir, "alerts.yml"), "utf8"),
      await readFile(join(filesDir, "slo-rules.yml"), "utf8"),
    );
    expect(check.stdout + check.stderr).toContain("SUCCESS: 2 rule files found");
    expect(check.code).toBe(0);
  });

  // Default values: Debian's Prometheus is built without Kubernetes service discovery, so the
  // annotated-pod job (kubernetes_sd_configs, on in all-on-values) cannot be loaded by its promtool.
  it("the chart's Prometheus config passes promtool check config with the shipped alerts", async () => {
    const rendered = await helmTemplate(inject("tools").HELM);
    const configMap = findObject(parseObjects(rendered.stdout), "ConfigMap", "mcpscope-prometheus") as KubeObject & {
      data: Record<string, string>;
    };
    // The pod mounts the ConfigMap at /etc/prometheus; here the rule file sits next to the config.
    const config = (configMap.data["prometheus.yml"] ?? "").replaceAll("/etc/prometheus/", "");
    const check = await checkConfig(config, configMap.data["alerts.yml"] ?? "", configMap.data["slo-rules.yml"] ?? "");
    expect(check.stdout + check.stderr).toContain("SUCCESS: 2 rule files found");
    expect(check.code).toBe(0);
    expect(config).toContain("job_name: otelcol-sidecar");
    expect(config).not.toContain("remote_write");
  });

  it("prometheus.remoteWrite renders into the chart's Prometheus config as given, and promtool accepts it", async () => {
    const dir = await mkdtemp(join(tmpdir(), "mcpscope-remote-write-"));
    try {
      const valuesFile = join(dir, "values.yaml");
      const remoteWrite = [
        { url: "http://mimir-distributor.mimir:8080/api/v1/push", headers: { "X-Scope-OrgID": "mcp" } },
        {
          url: "https://vm.example:8428/api/v1/write",
          queue_config: { max_samples_per_send: 2000 },
          write_relabel_configs: [{ source_labels: ["__name__"], regex: "mcp_.*", action: "keep" }],
        },
      ];
      await writeFile(valuesFile, JSON.stringify({ prometheus: { remoteWrite } }));
      const rendered = await helmTemplate(inject("tools").HELM, { valuesFiles: [valuesFile] });
      expect(rendered.stderr).toBe("");
      const objects = parseObjects(rendered.stdout);
      const configMap = findObject(objects, "ConfigMap", "mcpscope-prometheus") as KubeObject & {
        data: Record<string, string>;
      };
      const config = (configMap.data["prometheus.yml"] ?? "").replaceAll("/etc/prometheus/", "");
      expect((load(config) as { remote_write?: unknown }).remote_write).toEqual(remoteWrite);
      const check = await checkConfig(
        config,
        configMap.data["alerts.yml"] ?? "",
        configMap.data["slo-rules.yml"] ?? "",
      );
      expect(check.stdout + check.stderr).toContain("SUCCESS");
      expect(check.code).toBe(0);
      // A changed remoteWrite rolls the Prometheus pod (it reads its config at start).
      const annotations = (d: KubeObject) =>
        (d as { spec?: { template?: { metadata?: { annotations?: Record<string, string> } } } }).spec?.template
          ?.metadata?.annotations ?? {};
      const withIt = annotations(findObject(objects, "Deployment", "mcpscope-prometheus"));
      const without = annotations(
        findObject(
          parseObjects((await helmTemplate(inject("tools").HELM)).stdout),
          "Deployment",
          "mcpscope-prometheus",
        ),
      );
      expect(withIt["checksum/remote-write"]).toBeDefined();
      expect(withIt["checksum/remote-write"]).not.toBe(without["checksum/remote-write"]);

      await writeFile(valuesFile, JSON.stringify({ prometheus: { remoteWrite: [{ headers: { a: "b" } }] } }));
      const refused = await helmTemplate(inject("tools").HELM, { valuesFiles: [valuesFile] });
      expect(refused.code).not.toBe(0);
      expect(refused.stderr).toContain("/prometheus/remoteWrite/0");
      expect(refused.stderr).toContain("url");
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});

describe("the compose stack", () => {
  it("passes docker-compose config and runs the multi-server stack's services on its documented ports", async () => {
    const config = await runProgram(inject("tools").DOCKER_COMPOSE, ["config"], { cwd: repo("compose") });
    expect(config.stderr).toBe("");
    expect(config.code).toBe(0);
    const compose = load(config.stdout) as {
      services: Record<string, { ports?: Array<{ published: number }>; environment?: Record<string, string> }>;
    };
    expect(Object.keys(compose.services).sort()).toEqual([
      "db",
      "grafana",
      "otelcol",
      "postgres-sidecar",
      "prometheus",
      "weather-server",
      "weather-sidecar",
    ]);
    expect(compose.services["weather-sidecar"]?.ports?.map((p) => p.published)).toContain(4001);
    expect(compose.services["postgres-sidecar"]?.ports?.map((p) => p.published)).toContain(4002);
    expect(compose.services["postgres-sidecar"]?.environment?.MCP_UPSTREAM_COMMAND).toContain("server-postgres");
    expect(compose.services["weather-sidecar"]?.environment?.OTEL_EXPORTER_OTLP_ENDPOINT).toBe("http://otelcol:4318");
  });

  it("with tracing.yml adds Jaeger and sends the collector's traces there (the chart's overlay)", async () => {
    const config = await runProgram(
      inject("tools").DOCKER_COMPOSE,
      ["-f", "docker-compose.yml", "-f", "tracing.yml", "config"],
      {
        cwd: repo("compose"),
      },
    );
    expect(config.code).toBe(0);
    const compose = load(config.stdout) as {
      services: Record<string, { command?: string[]; environment?: Record<string, string>; volumes?: string[] }>;
    };
    expect(compose.services.jaeger?.volumes).toEqual([
      `${join(filesDir, "jaeger-config.yaml")}:/etc/jaeger/config.yaml:ro`,
    ]);
    expect(compose.services.otelcol?.command).toEqual([
      "--config=/etc/otelcol/config.yaml",
      "--config=/etc/otelcol/jaeger.yaml",
    ]);
    expect(compose.services.otelcol?.environment?.OTELCOL_JAEGER_ENDPOINT).toBe("jaeger:4317");
  });
});

describe("the Grafana dashboard", () => {
  let prometheus: RunningPrometheus;
  beforeAll(async () => {
    prometheus = await startPrometheus(inject("tools").PROMETHEUS, "global: { scrape_interval: 15s }\n");
  });
  afterAll(async () => {
    await prometheus?.stop();
  });

  it("has a server_name variable and the per-server request rate, error rate, p95 latency and tool-call queries among its panels", async () => {
    const dashboard = await readDashboard();
    expect(dashboard.templating.list.map((v) => v.name)).toContain("server_name");
    const exprs = dashboardQueries(dashboard).map((q) => q.replaceAll(/\s+/g, ""));
    for (const query of [
      "sum(rate(mcp_requests_total",
      "sum(rate(mcp_tool_calls_total",
      'status="error"',
      "histogram_quantile(0.95,sumby(le,server_name)(rate(mcp_request_duration_seconds_bucket",
    ]) {
      expect(exprs.some((e) => e.includes(query))).toBe(true);
    }
    expect(exprs.some((e) => e.includes("mcp_sessions_active"))).toBe(true);
    expect(exprs.some((e) => e.startsWith("topk(10,"))).toBe(true);
  });

  it("has a Context cost row: catalogue tokens, heaviest definitions, p95 result tokens, share over the budget", async () => {
    const dashboard = await readDashboard();
    expect(dashboard.panels.some((p) => p.type === "row" && p.title === "Context cost")).toBe(true);
    const exprs = dashboardQueries(dashboard).map((q) => q.replaceAll(/\s+/g, ""));
    for (const query of [
      "maxby(server_name)(mcp_tools_list_tokens",
      "topkby(server_name)(5,maxby(server_name,tool_name)(mcp_tool_definition_tokens",
      "histogram_quantile(0.95,sumby(le,server_name,tool_name)(rate(mcp_tool_result_tokens_bucket",
      'le="$result_token_budget"',
    ]) {
      expect(exprs.some((e) => e.includes(query))).toBe(true);
    }
    // The budget variable offers the histogram's bucket bounds, and starts at the chart's default budget.
    const budget = dashboard.templating.list.find((v) => v.name === "result_token_budget") as DashboardVariable & {
      query: string;
    };
    expect(budget.query.split(",").map(Number)).toEqual(resultTokenBuckets.filter((b) => b >= 1000));
    const values = load(await readFile(join(chartDir, "values.yaml"), "utf8")) as {
      contextCost: { toolResultTokenBudget: number };
    };
    expect(budget.current?.value).toBe(String(values.contextCost.toolResultTokenBudget));
  });

  it("every query parses and evaluates in a real Prometheus", async () => {
    const dashboard = await readDashboard();
    const queries = dashboardQueries(dashboard);
    expect(queries.length).toBeGreaterThanOrEqual(6);
    for (const query of queries) {
      const answer = await instantQuery(
        prometheus.apiUrl,
        withVariableDefaults(asPromQL(query), dashboard.templating.list),
      );
      expect({ query, status: answer.status, error: answer.error }).toEqual({
        query,
        status: "success",
        error: undefined,
      });
    }
  });
});

describe("the images", () => {
  for (const [workspace, flags, healthPath, portVariable] of [
    ["sidecar", [...sidecarNodeFlags, ...sidecarCommandLineFlags], "/livez", "PORT"],
    ["operator", operatorNodeFlags, "/healthz", "HEALTH_PORT"],
  ] as const) {
    it(`${workspace}/Dockerfile: node:24-slim stages, only the bundle in the last, non-root, runs the bundled main.js`, async () => {
      const dockerfile = await readFile(repo(`${workspace}/Dockerfile`), "utf8");
      const froms = [...dockerfile.matchAll(/^FROM (\S+)/gm)].map((m) => m[1]);
      expect(froms.length).toBeGreaterThanOrEqual(2);
      for (const image of froms) expect(image).toBe("node:24-slim");
      expect(dockerfile).toMatch(new RegExp(`node scripts/bundle.mjs ${workspace}$`, "m"));
      // The last stage runs as the image's unprivileged user and probes the real endpoint.
      const runtime = dockerfile.slice(dockerfile.lastIndexOf("\nFROM "));
      expect([...runtime.matchAll(/^COPY .*$/gm)].map((m) => m[0])).toEqual([
        `COPY --from=build /app/${workspace}/bundle ${workspace}/bundle`,
      ]);
      expect(runtime).toMatch(/^USER 1000:1000$/m);
      expect(runtime).toMatch(new RegExp(`HEALTHCHECK .*${healthPath}`));
      const entrypoint = JSON.parse(/^ENTRYPOINT (.+)$/m.exec(runtime)?.[1] ?? "[]") as string[];
      expect(entrypoint).toEqual(["node", ...flags, `${workspace}/bundle/main.js`]);
      // The path the image runs is what `npm run build` wrote (global setup built it).
      await expect(readFile(repo(`${workspace}/bundle/main.js`), "utf8")).resolves.toContain("import");
    });

    it(`${workspace}/Dockerfile's HEALTHCHECK passes on a 2xx from ${healthPath} only: not on 503, nor on a closed port`, async () => {
      const runtime = await readFile(repo(`${workspace}/Dockerfile`), "utf8");
      const check = JSON.parse(/^HEALTHCHECK .*? CMD (\[.+\])$/m.exec(runtime)?.[1] ?? "[]") as string[];
      expect(check[0]).toBe("node");
      let status = 200;
      const seen: string[] = [];
      const server = createServer((request, response) => {
        seen.push(request.url ?? "");
        response.writeHead(status).end();
      });
      await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
      const port = (server.address() as AddressInfo).port;
      const exitCode = async (onPort: number) =>
        (
          await runProgram(process.execPath, check.slice(1), {
            env: { [portVariable]: String(onPort) },
          })
        ).code;
      try {
        expect(await exitCode(port)).toBe(0);
        status = 503;
        expect(await exitCode(port)).toBe(1);
        expect(seen).toEqual([healthPath, healthPath]);
      } finally {
        await new Promise((resolve) => server.close(resolve));
      }
      expect(await exitCode(port)).toBe(1);
    });
  }

  it("every container mcpscope starts from its own images passes the kubelet's runAsNonRoot check", async () => {
    // The kubelet refuses runAsNonRoot for an image USER given by name ("node"): nothing started on a real node.
    const imageUser = async (workspace: string) => userOf(await readFile(repo(`${workspace}/Dockerfile`), "utf8"));
    const rendered = await helmTemplate(inject("tools").HELM);
    const operator = findObject(parseObjects(rendered.stdout), "Deployment", "mcpscope-operator") as KubeObject & {
      spec: { template: { spec: PodSpec } };
    };
    const operatorPod = operator.spec.template.spec;
    for (const container of operatorPod.containers) {
      expect(
        runAsNonRootRefusal(operatorPod.securityContext, container.securityContext, await imageUser("operator")),
      ).toBeUndefined();
    }
    // The sidecar container, as the controller's Deployments and the webhook's injected pods carry it.
    const sidecar = buildSidecarContainer({
      image: "mcpscope/sidecar",
      serverName: "s",
      upstreamUrl: "http://127.0.0.1:3001",
      transport: "streamable-http",
      mcpPath: "/mcp",
      port: 4000,
      metricsPort: 9464,
    });
    expect(runAsNonRootRefusal(undefined, sidecar.securityContext, await imageUser("sidecar"))).toBeUndefined();
    expect(runAsNonRootRefusal(undefined, sidecar.securityContext, "node")).toBeUndefined();
    for (const workspace of ["sidecar", "operator"])
      expect(await imageUser(workspace)).toBe(`${sidecarImageUid}:${sidecarImageUid}`);
    expect(operatorPod.securityContext).toMatchObject({ runAsUser: sidecarImageUid, runAsGroup: sidecarImageUid });
  });

  it("the build context leaves out node_modules and local build output", async () => {
    const ignore = (await readFile(repo(".dockerignore"), "utf8")).split("\n");
    expect(ignore).toEqual(expect.arrayContaining(["**/node_modules", "**/dist"]));
  });
});

interface PodSpec {
  serviceAccountName?: string;
  securityContext?: Record<string, unknown>;
  containers: Array<{
    securityContext?: Record<string, unknown>;
    livenessProbe?: { httpGet?: { path: string } };
    readinessProbe?: { httpGet?: { path: string } };
    resources?: { limits?: Record<string, string> };
    env?: Array<{ name: string; value?: string }>;
  }>;
}

interface Dashboard {
  templating: { list: DashboardVariable[] };
  panels: Array<{ type?: string; title?: string; targets?: Array<{ expr?: string }> }>;
}

async function readDashboard(): Promise<Dashboard> {
  return JSON.parse(await readFile(join(dashboardsDir, "mcpscope-servers.json"), "utf8")) as Dashboard;
}

function dashboardQueries(dashboard: Dashboard): string[] {
  return dashboard.panels.flatMap((panel) => (panel.targets ?? []).flatMap((t) => (t.expr ? [t.expr] : [])));
}

/** Grafana's template variables as Grafana substitutes them for "All" over a 15 s scrape interval. */
function asPromQL(query: string): string {
  return query.replaceAll("$server_name", ".*").replaceAll("$__rate_interval", "1m");
}

describe("the repository's words", () => {
  it("names what it means instead of the document mcpscope started from, which readers do not have", async () => {
    // Built from parts so this file does not match itself.
    const origin = ["se", "ed"].join("");
    const grep = await runProgram(
      "git",
      ["grep", "-n", "-i", "-E", `\\bthe ${origin}\\b|${origin}'s`, "--", ".", ":!package-lock.json"],
      { cwd: repo("") },
    );
    expect(grep.stdout).toBe("");
    expect(grep.code).toBe(1);
  });
});
