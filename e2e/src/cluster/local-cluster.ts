import { readFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { CoreV1Api, type V1Pod, VersionApi } from "@kubernetes/client-node";
import { freePort, isPortFree } from "@mcpscope/sidecar/testing";
import { dump } from "js-yaml";
import { type ControlPlane, startControlPlane } from "../harness/control-plane.js";
import { findObject, helmTemplate, type KubeObject, parseObjects } from "../harness/helm.js";
import { type RunningJaeger, startJaeger } from "../harness/jaeger.js";
import { type RunningCollector, startCollector } from "../harness/otelcol.js";
import { firstLineOf, kubectlWith, stdoutOf } from "../harness/programs.js";
import { type RunningPrometheus, startPrometheus } from "../harness/prometheus.js";
import type { ToolPaths } from "../harness/tools.js";
import type { McpCluster, PodEndpoints } from "./cluster.js";
import { readEntrypoint } from "./dockerfile.js";
import { e2eServerImage, multiServerPrometheusConfig, waitFor } from "./e2e-settings.js";
import type { PhaseTimer } from "./phases.js";
import { declaredPorts, type PodPlanContext, planPod } from "./pod-plan.js";
import { type RunningContainer, runContainer, survivingGroups } from "./pod-runner.js";

const repoRoot = fileURLToPath(new URL("../../../", import.meta.url));
const namespace = "mcpscope-system";

/** What a container image runs when its pod spec sets no command: the ENTRYPOINT of our Dockerfiles. */
function imageEntrypoints(): (image: string) => string[] | undefined {
  const sidecar = readEntrypoint(join(repoRoot, "sidecar/Dockerfile"));
  const operator = readEntrypoint(join(repoRoot, "operator/Dockerfile"));
  const repository = (image: string) => image.replace(/[:@][^/]*$/, "");
  const table: Record<string, string[]> = {
    "ghcr.io/mcpscope/sidecar": sidecar,
    "ghcr.io/mcpscope/operator": operator,
    // The sidecar image with server-everything baked in (MCP_STDIO_PACKAGES): the same entrypoint.
    [repository(e2eServerImage)]: sidecar,
  };
  return (image) => table[repository(image)];
}

/**
 * The local provider: a real control plane (etcd, kube-apiserver, kube-controller-manager) on
 * 127.0.0.1, mcpscope applied from `helm template`, and — since no kubelet runs here — every pod the
 * test needs run as local processes with exactly its generated command and env. What a kubelet and
 * cluster network would provide is substituted, and only that: each pod's ports are remapped to free
 * loopback ports, Service DNS names point at the local collector, the webhook is reached by URL
 * instead of through its Service, and the operator gets a kubeconfig for its ServiceAccount's user.
 */
export async function startLocalCluster(tools: ToolPaths, phases: PhaseTimer): Promise<McpCluster> {
  const controlPlane: ControlPlane = await phases.time("control plane (etcd, kube-apiserver, KCM)", () =>
    startControlPlane(tools),
  );
  const entrypointFor = imageEntrypoints();
  /** Running containers by "namespace/pod", in start order. */
  const pods = new Map<string, RunningContainer[]>();
  const ports: number[] = [];
  let collector: RunningCollector | undefined;
  let prometheus: RunningPrometheus | undefined;
  let jaeger: RunningJaeger | undefined;
  const kubectl = kubectlWith(
    () => tools.KUBECTL,
    () => controlPlane.kubeconfigPath,
  );
  const core = controlPlane.adminKubeConfig().makeApiClient(CoreV1Api);

  async function portMap(pod: V1Pod): Promise<Map<number, number>> {
    const map = new Map<number, number>();
    for (const port of declaredPorts(pod)) map.set(port, await freePort());
    ports.push(...map.values());
    return map;
  }

  function services(): Record<string, string> {
    if (!collector) throw new Error("the collector is not running");
    return {
      [`mcpscope-collector.${namespace}:4318`]: `127.0.0.1:${collector.port}`,
      [`mcpscope-collector.${namespace}:8889`]: `127.0.0.1:${collector.prometheusPort}`,
    };
  }

  function start(pod: V1Pod, context: PodPlanContext, extraEnv: Record<string, string> = {}): RunningContainer[] {
    const running = planPod(pod, context).map((plan) =>
      runContainer(
        { ...plan, env: { ...plan.env, ...extraEnv } },
        { cwd: repoRoot, hostname: pod.metadata?.name ?? "pod" },
      ),
    );
    pods.set(`${pod.metadata?.namespace}/${pod.metadata?.name}`, running);
    return running;
  }

  const logsOf = (running: RunningContainer[]) =>
    running.map((c) => `--- ${c.plan.containerName}\n${c.log()}`).join("\n");

  return {
    provider: "local",
    kubeconfigPath: controlPlane.kubeconfigPath,
    kubeConfig: () => controlPlane.adminKubeConfig(),

    async install() {
      const objects = await phases.time("helm template", async () => {
        return parseObjects(
          stdoutOf(
            await helmTemplate(tools.HELM, { includeCrds: true, set: { "tracing.jaeger.enabled": "true" } }),
            "helm template",
          ),
        );
      });
      const operatorDeployment = findObject(objects, "Deployment", "mcpscope-operator") as KubeObject & {
        spec: { selector: { matchLabels: Record<string, string> }; template: { spec: V1Pod["spec"] } };
      };
      const operatorPorts = await portMap({ spec: operatorDeployment.spec.template.spec } as V1Pod);
      const webhookPort = operatorPorts.get(9443);
      if (webhookPort === undefined) throw new Error("the operator Deployment declares no webhook port 9443");

      await phases.time("apply the rendered chart", async () => {
        const webhook = findObject(objects, "MutatingWebhookConfiguration") as KubeObject & {
          webhooks: Array<{ clientConfig: { service?: { path?: string }; url?: string } }>;
        };
        for (const hook of webhook.webhooks) {
          // No Service routing without kube-proxy: the API server calls the operator's local port.
          hook.clientConfig = { url: `https://127.0.0.1:${webhookPort}${hook.clientConfig.service?.path ?? "/"}` };
        }
        stdoutOf(await kubectl(["create", "namespace", namespace, "--save-config"]), "kubectl create namespace");
        const yaml = objects.map((o) => dump(o, { noRefs: true })).join("---\n");
        stdoutOf(await kubectl(["apply", "--server-side", "-f", "-"], yaml), "applying the rendered chart");
        const established = await kubectl(["wait", "--for=condition=Established", "crd/mcpservers.mcpscope.dev"]);
        stdoutOf(established, "waiting for the McpServer CRD");
      });

      await phases.time("Jaeger, collector and Prometheus", async () => {
        jaeger = await startJaeger(tools.JAEGER);
        ports.push(jaeger.port);
        // The chart's collector with Jaeger on: its overlay, pointed at the local Jaeger.
        collector = await startCollector(tools.OTELCOL, {}, { jaegerOtlpGrpc: jaeger.otlpGrpcEndpoint });
        ports.push(collector.port, collector.prometheusPort);
        prometheus = await startPrometheus(
          tools.PROMETHEUS,
          multiServerPrometheusConfig(`127.0.0.1:${collector.prometheusPort}`),
          {
            "alerts.yml": readFileSync(join(repoRoot, "charts/mcpscope/files/alerts.yml"), "utf8"),
            "slo-rules.yml": readFileSync(join(repoRoot, "charts/mcpscope/files/slo-rules.yml"), "utf8"),
          },
        );
        ports.push(prometheus.port);
      });

      await phases.time("operator pod (from the chart's Deployment) running", async () => {
        const selector = Object.entries(operatorDeployment.spec.selector.matchLabels)
          .map(([k, v]) => `${k}=${v}`)
          .join(",");
        const pod = await waitFor(
          "the controller-manager to create the operator pod",
          async () => (await core.listNamespacedPod({ namespace, labelSelector: selector })).items[0],
          60_000,
        );
        const serviceAccount = pod.spec?.serviceAccountName ?? "default";
        const credentials = await controlPlane.kubeConfigFor(`system:serviceaccount:${namespace}:${serviceAccount}`, [
          "system:serviceaccounts",
        ]);
        const running = start(
          pod,
          // No Service mapping: the operator's OTLP_ENDPOINT is data it writes into pods, not its own traffic.
          { entrypointFor, ports: operatorPorts, services: {} },
          {
            // In a pod: the mounted ServiceAccount token, its own network namespace and its default ports.
            KUBECONFIG: credentials.path,
            WEBHOOK_HOST: "127.0.0.1",
            WEBHOOK_EXTRA_IPS: "127.0.0.1",
            HEALTH_PORT: String(operatorPorts.get(8081)),
            METRICS_PORT: String(operatorPorts.get(8080)),
          },
        );
        await waitFor(
          `the operator's /readyz\n${logsOf(running)}`,
          async () => (await fetch(`http://127.0.0.1:${operatorPorts.get(8081)}/readyz`).catch(() => undefined))?.ok,
          60_000,
        );
      });
    },

    async reachPod(pod) {
      const running = start(pod, { entrypointFor, ports: await portMap(pod), services: services() });
      const sidecar = running.find((c) => c.plan.env.MCP_UPSTREAM_NAME !== undefined);
      if (!sidecar) throw new Error(`pod ${pod.metadata?.name} has no mcpscope sidecar`);
      const endpoints: PodEndpoints = {
        proxyUrl: `http://127.0.0.1:${sidecar.plan.env.PORT}`,
        metricsUrl: `http://127.0.0.1:${sidecar.plan.env.METRICS_PORT}/metrics`,
      };
      await waitFor(
        `pod ${pod.metadata?.name}: the sidecar's /health to reach its MCP server\n${logsOf(running)}`,
        async () => (await fetch(`${endpoints.proxyUrl}/health`).catch(() => undefined))?.status === 200,
        90_000,
      );
      return endpoints;
    },

    prometheusUrl() {
      if (!prometheus) throw new Error("Prometheus is not running: install() first");
      return prometheus.apiUrl;
    },

    jaegerUrl() {
      if (!jaeger) throw new Error("Jaeger is not running: install() first");
      return jaeger.queryUrl;
    },

    async stopServer(pod) {
      const running = pods.get(`${pod.metadata?.namespace}/${pod.metadata?.name}`) ?? [];
      const server = running.find((c) => c.plan.env.MCP_UPSTREAM_NAME === undefined);
      if (!server) throw new Error(`pod ${pod.metadata?.name} runs no separate MCP server container`);
      await server.stop();
    },

    async components() {
      const packageVersion = (path: string) =>
        (JSON.parse(readFileSync(join(repoRoot, path), "utf8")) as { version: string }).version;
      const apiserver = await controlPlane.adminKubeConfig().makeApiClient(VersionApi).getCode();
      return {
        provider: "local (no kubelet: pods run as processes)",
        "kube-apiserver + kube-controller-manager": apiserver.gitVersion,
        etcd: await firstLineOf(tools.ETCD, ["--version"]),
        "opentelemetry collector": await firstLineOf(tools.OTELCOL, ["--version"]),
        jaeger: `Go module ${tools.JAEGER.split("/")
          .at(-2)
          ?.replace(/^jaeger-/, "github.com/jaegertracing/jaeger ")}`,
        prometheus: await firstLineOf(tools.PROMETHEUS, ["--version"]),
        helm: await firstLineOf(tools.HELM, ["version", "--short"]),
        node: process.version,
        "mcpscope sidecar / operator": `${packageVersion("sidecar/package.json")} / ${packageVersion("operator/package.json")}`,
        "@modelcontextprotocol/server-everything": packageVersion(
          "node_modules/@modelcontextprotocol/server-everything/package.json",
        ),
      };
    },

    async teardown() {
      // Reverse start order; every step runs even when an earlier one throws.
      const problems: string[] = [];
      const attempt = async (what: string, step: () => Promise<void>) => {
        await step().catch((error: unknown) => problems.push(`${what}: ${String(error)}`));
      };
      const containers = [...pods.values()].flat();
      for (const container of [...containers].reverse()) await attempt(container.plan.containerName, container.stop);
      await attempt("prometheus", async () => prometheus?.stop());
      await attempt("collector", async () => collector?.stop());
      await attempt("jaeger", async () => jaeger?.stop());
      await attempt("control plane", () => controlPlane.stop());
      problems.push(...survivingGroups(containers).map((g) => `process group still alive: ${g}`));
      for (const port of ports) if (!(await isPortFree(port))) problems.push(`port ${port} still bound`);
      return problems;
    },
  };
}
