import { fileURLToPath } from "node:url";
import {
  AdmissionregistrationV1Api,
  AppsV1Api,
  AutoscalingV2Api,
  CoreV1Api,
  CustomObjectsApi,
  PatchStrategy,
  setHeaderOptions,
} from "@kubernetes/client-node";
import { type RunningController, startController } from "@mcpscope/operator";
import { freePort } from "@mcpscope/sidecar/testing";
import { pino } from "pino";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { type ControlPlane, startControlPlane } from "./harness/control-plane.js";
import { kubectlWith } from "./harness/programs.js";

const crdsDir = fileURLToPath(new URL("../../crds/", import.meta.url));
const sidecarImage = "ghcr.io/mcpscope/sidecar:test";
let cp: ControlPlane;
let controller: RunningController;
// The controller-manager's garbage collector learns of a new CRD on its discovery resync, every 30 s
// (hard-coded in kube-controller-manager): a McpServer deleted within that window of the CRD's creation
// keeps its dependents until the next resync.
const garbageCollectorWaitMs = 75_000;
const garbageCollectorTestMs = 120_000;

const kubectl = kubectlWith(
  () => inject("tools").KUBECTL,
  () => cp.kubeconfigPath,
);

const apply = async (yaml: string) => {
  const result = await kubectl(["apply", "-f", "-"], yaml);
  expect(result.stderr).toBe("");
};

/** An McpServer of its own for each test: no test depends on what another left behind. */
const mcpServer = (name: string, { replicas = 1, sidecarPort = 4000 } = {}) => `apiVersion: mcpscope.dev/v1alpha1
kind: McpServer
metadata: { name: ${name}, namespace: default }
spec:
  serverName: ${name}-prod
  replicas: ${replicas}
  server:
    image: node:24-slim
    command: ["npx", "-y", "@modelcontextprotocol/server-everything", "streamableHttp"]
    port: 3001
  sidecar: { port: ${sidecarPort}, metricsPort: 9464 }
  telemetry: { otlpEndpoint: "http://otelcol.mcpscope-system.svc:4318" }
`;

const apps = () => cp.adminKubeConfig().makeApiClient(AppsV1Api);
const core = () => cp.adminKubeConfig().makeApiClient(CoreV1Api);
const deploymentOf = (name: string) =>
  apps()
    .readNamespacedDeployment({ name, namespace: "default" })
    .catch(() => undefined);
const serviceOf = (name: string) =>
  core()
    .readNamespacedService({ name, namespace: "default" })
    .catch(() => undefined);

/** Applies an McpServer and waits for the controller to have created its Deployment and Service. */
async function created(name: string, options?: Parameters<typeof mcpServer>[1]) {
  await apply(mcpServer(name, options));
  await expect.poll(async () => Boolean(await deploymentOf(name)), { timeout: 15_000 }).toBe(true);
  await expect.poll(async () => Boolean(await serviceOf(name)), { timeout: 15_000 }).toBe(true);
}

beforeAll(async () => {
  cp = await startControlPlane(inject("tools"));
  expect((await kubectl(["apply", "-f", crdsDir])).code).toBe(0);
  expect(
    (await kubectl(["wait", "--for=condition=Established", "crd/mcpservers.mcpscope.dev", "--timeout=30s"])).code,
  ).toBe(0);
  controller = await startController({
    kubeConfig: cp.adminKubeConfig(),
    defaults: { sidecarImage },
    logger: pino({ level: "silent" }),
  });
}, 120_000);

afterAll(async () => {
  await controller?.stop();
  await cp?.stop();
});

// shuffle: each test sets up what it checks, so they pass in any order (and every run proves it).
describe("the McpServer controller on a real API server", { shuffle: true }, () => {
  it("creates a Deployment (server + sidecar) and a Service owned by the McpServer", async () => {
    await created("weather");
    const deployment = await apps().readNamespacedDeployment({ name: "weather", namespace: "default" });
    expect(deployment.metadata?.ownerReferences?.[0]).toMatchObject({
      kind: "McpServer",
      name: "weather",
      controller: true,
    });
    const containers = deployment.spec?.template.spec?.containers ?? [];
    expect(containers.map((c) => c.name)).toEqual(["mcp-server", "mcpscope-sidecar"]);
    const env = Object.fromEntries((containers[1]?.env ?? []).map((e) => [e.name, e.value]));
    expect(env).toMatchObject({
      MCP_UPSTREAM_URL: "http://127.0.0.1:3001",
      MCP_UPSTREAM_NAME: "weather-prod",
      PORT: "4000",
      METRICS_PORT: "9464",
      OTEL_EXPORTER_OTLP_ENDPOINT: "http://otelcol.mcpscope-system.svc:4318",
    });
    expect(containers[1]?.image).toBe(sidecarImage);
    const service = await core().readNamespacedService({ name: "weather", namespace: "default" });
    expect(service.spec?.ports?.map((p) => [p.name, p.port])).toEqual([
      ["mcp", 4000],
      ["metrics", 9464],
    ]);
  });

  it("keeps the status truthful: url, server name and conditions (no kubelet here, so not Ready)", async () => {
    await apply(mcpServer("status"));
    const custom = cp.adminKubeConfig().makeApiClient(CustomObjectsApi);
    const read = async () =>
      (await custom.getNamespacedCustomObject({
        group: "mcpscope.dev",
        version: "v1alpha1",
        namespace: "default",
        plural: "mcpservers",
        name: "status",
      })) as {
        status?: {
          url?: string;
          serverName?: string;
          observedGeneration?: number;
          conditions?: Array<{ type: string; status: string; reason: string }>;
        };
      };
    await expect
      .poll(async () => (await read()).status?.url, { timeout: 15_000 })
      .toBe("http://status.default.svc:4000/mcp");
    const { status } = await read();
    expect(status?.serverName).toBe("status-prod");
    const byType = Object.fromEntries((status?.conditions ?? []).map((c) => [c.type, [c.status, c.reason]]));
    expect(byType.Degraded).toEqual(["False", "Reconciled"]);
    expect(byType.Ready).toEqual(["False", "ReplicasNotReady"]);
  });

  it("rolls out spec changes to the Deployment and Service", async () => {
    await created("rollout");
    await apply(mcpServer("rollout", { replicas: 2, sidecarPort: 4100 }));
    await expect.poll(async () => (await deploymentOf("rollout"))?.spec?.replicas, { timeout: 15_000 }).toBe(2);
    await expect.poll(async () => (await serviceOf("rollout"))?.spec?.ports?.[0]?.port, { timeout: 15_000 }).toBe(4100);
  });

  it("repairs drift when someone edits the Deployment", async () => {
    await created("drift", { replicas: 2 });
    expect((await kubectl(["scale", "deployment/drift", "--replicas=7"])).code).toBe(0);
    await expect.poll(async () => (await deploymentOf("drift"))?.spec?.replicas, { timeout: 15_000 }).toBe(2);
  });

  it("reports a spec the API server refuses as Degraded with a Warning event, without crash-looping", async () => {
    await apply(`apiVersion: mcpscope.dev/v1alpha1
kind: McpServer
metadata: { name: broken, namespace: default }
spec:
  server: { image: "node:24-slim" }
  podTemplate:
    spec: { tolerations: [{ key: dedicated, operator: Sometimes }] }
`);
    const custom = cp.adminKubeConfig().makeApiClient(CustomObjectsApi);
    const degraded = async () => {
      const o = (await custom.getNamespacedCustomObject({
        group: "mcpscope.dev",
        version: "v1alpha1",
        namespace: "default",
        plural: "mcpservers",
        name: "broken",
      })) as {
        status?: { conditions?: Array<{ type: string; status: string; reason: string; message: string }> };
      };
      return o.status?.conditions?.find((c) => c.type === "Degraded");
    };
    await expect.poll(async () => (await degraded())?.reason, { timeout: 15_000 }).toBe("ApplyFailed");
    expect((await degraded())?.message).toContain("tolerations[0].operator");
    const events = await cp
      .adminKubeConfig()
      .makeApiClient(CoreV1Api)
      .listNamespacedEvent({ namespace: "default", fieldSelector: "involvedObject.name=broken" });
    expect(events.items.some((e) => e.type === "Warning" && e.reason === "ApplyFailed")).toBe(true);
    expect(controller.synced()).toBe(true);
  });

  it("repairs an owned Service that is deleted or whose selector is edited", async () => {
    await created("repaired");
    const selector = async () => (await serviceOf("repaired"))?.spec?.selector;
    const original = await selector();
    expect(original).toMatchObject({ "app.kubernetes.io/instance": "repaired" });
    await core().patchNamespacedService(
      {
        name: "repaired",
        namespace: "default",
        body: { spec: { selector: { "app.kubernetes.io/instance": "hijacked" } } },
      },
      setHeaderOptions("Content-Type", PatchStrategy.MergePatch),
    );
    await expect.poll(selector, { timeout: 15_000 }).toEqual(original);
    await core().deleteNamespacedService({ name: "repaired", namespace: "default" });
    await expect.poll(selector, { timeout: 15_000 }).toEqual(original);
  });

  it("reports a 5xx from the API server in the status while it retries, and recovers when it heals", async () => {
    // A validating webhook that cannot be reached, failing closed: the API server answers 500.
    const admission = cp.adminKubeConfig().makeApiClient(AdmissionregistrationV1Api);
    const closedPort = await freePort();
    await kubectl(["create", "namespace", "failing"]);
    await admission.createValidatingWebhookConfiguration({
      body: {
        metadata: { name: "unreachable" },
        webhooks: [
          {
            name: "unreachable.mcpscope.test",
            admissionReviewVersions: ["v1"],
            sideEffects: "None",
            failurePolicy: "Fail",
            timeoutSeconds: 1,
            clientConfig: { url: `https://127.0.0.1:${closedPort}/validate` },
            rules: [
              {
                apiGroups: ["apps"],
                apiVersions: ["v1"],
                operations: ["CREATE", "UPDATE"],
                resources: ["deployments"],
              },
            ],
            namespaceSelector: { matchLabels: { "kubernetes.io/metadata.name": "failing" } },
          },
        ],
      },
    });
    await apply(`apiVersion: mcpscope.dev/v1alpha1
kind: McpServer
metadata: { name: flaky, namespace: failing }
spec:
  server: { image: "node:24-slim", port: 3001 }
`);
    const custom = cp.adminKubeConfig().makeApiClient(CustomObjectsApi);
    const degraded = async () =>
      (
        (await custom.getNamespacedCustomObject({
          group: "mcpscope.dev",
          version: "v1alpha1",
          namespace: "failing",
          plural: "mcpservers",
          name: "flaky",
        })) as { status?: { conditions?: Array<{ type: string; status: string; reason: string; message: string }> } }
      ).status?.conditions?.find((c) => c.type === "Degraded");
    await expect.poll(async () => (await degraded())?.reason, { timeout: 15_000 }).toBe("ApplyError");
    expect((await degraded())?.message).toContain("failed calling webhook");
    await admission.deleteValidatingWebhookConfiguration({ name: "unreachable" });
    await expect.poll(async () => (await degraded())?.reason, { timeout: 30_000 }).toBe("Reconciled");
  });

  it(
    "keeps McpServers a.b and a-b apart: each its own Deployment and Service, deleting one leaves the other's",
    async () => {
      for (const name of ["a.b", "a-b", `long-${"x".repeat(240)}`]) {
        await apply(`apiVersion: mcpscope.dev/v1alpha1
kind: McpServer
metadata: { name: "${name}", namespace: default }
spec:
  server: { image: "node:24-slim", port: 3001 }
`);
      }
      const core = cp.adminKubeConfig().makeApiClient(CoreV1Api);
      const owners = async () =>
        Object.fromEntries(
          (
            await core.listNamespacedService({
              namespace: "default",
              // The McpServers' own Services (each also owns a headless peer Service).
              labelSelector: "app.kubernetes.io/managed-by=mcpscope,app.kubernetes.io/component!=replica-peers",
            })
          ).items.map((svc) => [svc.metadata?.name ?? "", svc.metadata?.ownerReferences?.[0]?.name ?? ""]),
        );
      const ours = ["a.b", "a-b", `long-${"x".repeat(240)}`];
      await expect
        .poll(async () => Object.values(await owners()).filter((o) => ours.includes(o)).length, { timeout: 15_000 })
        .toBe(3);
      const byOwner = Object.fromEntries(Object.entries(await owners()).map(([svc, owner]) => [owner, svc]));
      expect(byOwner["a-b"]).toBe("a-b");
      expect(byOwner["a.b"]).toMatch(/^a-b-[0-9a-f]{10}$/);
      expect(byOwner[`long-${"x".repeat(240)}`]?.length).toBeLessThanOrEqual(63);
      expect((await kubectl(["delete", "mcps", "a-b", "--wait=true"])).code).toBe(0);
      await expect
        .poll(async () => Object.values(await owners()).includes("a-b"), { timeout: garbageCollectorWaitMs })
        .toBe(false);
      expect(Object.values(await owners())).toContain("a.b");
    },
    garbageCollectorTestMs,
  );

  it(
    "lets the garbage collector remove the Deployment and Service when the McpServer is deleted",
    async () => {
      await created("collected");
      expect((await kubectl(["delete", "mcps", "collected", "--wait=true"])).code).toBe(0);
      await expect
        .poll(
          async () =>
            (await apps().listNamespacedDeployment({ namespace: "default" })).items.map((d) => d.metadata?.name),
          {
            timeout: garbageCollectorWaitMs,
          },
        )
        .not.toContain("collected");
      await expect
        .poll(
          async () => (await core().listNamespacedService({ namespace: "default" })).items.map((s) => s.metadata?.name),
          {
            timeout: garbageCollectorWaitMs,
          },
        )
        .not.toContain("collected");
    },
    garbageCollectorTestMs,
  );

  it("on taking over (a new leader lists everything), handles a new McpServer before the backlog of existing ones", async () => {
    await kubectl(["create", "namespace", "backlog"]);
    const items = Array.from({ length: 40 }, (_, i) => ({
      apiVersion: "mcpscope.dev/v1alpha1",
      kind: "McpServer",
      metadata: { name: `old-${i}`, namespace: "backlog" },
      spec: { server: { image: "node:24-slim", port: 3001 } },
    }));
    await kubectl(["apply", "-f", "-"], JSON.stringify({ apiVersion: "v1", kind: "List", items }));
    const order: string[] = [];
    // A second controller, as a new leader starts: one worker, so the order is the queue's order.
    const successor = await startController({
      kubeConfig: cp.adminKubeConfig(),
      defaults: { sidecarImage },
      logger: pino({ level: "silent" }),
      workers: 1,
      onReconciled: (_result, _seconds, key) => order.push(key),
    });
    try {
      await apply(`apiVersion: mcpscope.dev/v1alpha1
kind: McpServer
metadata: { name: urgent, namespace: backlog }
spec:
  server: { image: "node:24-slim", port: 3001 }
`);
      await expect.poll(() => order.includes("backlog/urgent"), { timeout: 30_000 }).toBe(true);
      const backlogDoneBefore = order
        .slice(0, order.indexOf("backlog/urgent"))
        .filter((k) => k.startsWith("backlog/old-"));
      expect(backlogDoneBefore.length).toBeLessThan(items.length);
    } finally {
      await successor.stop();
    }
  });
});

describe("replicas and autoscaling on a real API server", () => {
  const scaler = (autoscaling: string) => `apiVersion: mcpscope.dev/v1alpha1
kind: McpServer
metadata: { name: scaler, namespace: default }
spec:
  replicas: 3
${autoscaling}
  server:
    image: node:24-slim
    command: ["npx", "-y", "@modelcontextprotocol/server-everything", "streamableHttp"]
    port: 3001
    resources: { requests: { cpu: 100m } }
`;

  it("renders spec.autoscaling as an autoscaling/v2 HPA owned by the McpServer, with a headless peer Service", async () => {
    await apply(scaler("  autoscaling: { minReplicas: 2, maxReplicas: 5, targetCPUUtilizationPercentage: 60 }"));
    const kubeConfig = cp.adminKubeConfig();
    const autoscaling = kubeConfig.makeApiClient(AutoscalingV2Api);
    const core = kubeConfig.makeApiClient(CoreV1Api);
    const apps = kubeConfig.makeApiClient(AppsV1Api);
    const custom = kubeConfig.makeApiClient(CustomObjectsApi);
    const readHpa = () => autoscaling.readNamespacedHorizontalPodAutoscaler({ name: "scaler", namespace: "default" });
    await expect
      .poll(
        () =>
          readHpa().then(
            () => true,
            () => false,
          ),
        { timeout: 15_000 },
      )
      .toBe(true);
    const mcp = (await custom.getNamespacedCustomObject({
      group: "mcpscope.dev",
      version: "v1alpha1",
      namespace: "default",
      plural: "mcpservers",
      name: "scaler",
    })) as { metadata: { uid: string } };
    const hpa = await readHpa();
    expect(hpa.metadata?.ownerReferences).toEqual([
      expect.objectContaining({ kind: "McpServer", name: "scaler", uid: mcp.metadata.uid, controller: true }),
    ]);
    expect(hpa.spec).toMatchObject({
      scaleTargetRef: { apiVersion: "apps/v1", kind: "Deployment", name: "scaler" },
      minReplicas: 2,
      maxReplicas: 5,
      metrics: [
        { type: "Resource", resource: { name: "cpu", target: { type: "Utilization", averageUtilization: 60 } } },
      ],
    });
    // The replica count is the autoscaler's: the operator applies none.
    const deployment = await apps.readNamespacedDeployment({ name: "scaler", namespace: "default" });
    const owners = (deployment.metadata?.managedFields ?? [])
      .filter((f) => f.manager === "mcpscope")
      .map((f) => JSON.stringify(f.fieldsV1));
    expect(owners.some((fields) => fields.includes('"f:replicas"'))).toBe(false);
    const sidecarEnv = deployment.spec?.template.spec?.containers?.[1]?.env ?? [];
    const peersName = sidecarEnv.find((e) => e.name === "MCP_REPLICA_PEERS")?.value?.split(".")[0] ?? "";
    expect(sidecarEnv.find((e) => e.name === "MCP_POD_IP")?.valueFrom?.fieldRef?.fieldPath).toBe("status.podIP");
    const peers = await core.readNamespacedService({ name: peersName, namespace: "default" });
    expect(peers.spec).toMatchObject({ clusterIP: "None", publishNotReadyAddresses: true });
    expect(peers.metadata?.ownerReferences?.[0]).toMatchObject({ kind: "McpServer", uid: mcp.metadata.uid });
  });

  it("removes its HPA when spec.autoscaling is removed, and applies spec.replicas again", async () => {
    await apply(scaler(""));
    const kubeConfig = cp.adminKubeConfig();
    const autoscaling = kubeConfig.makeApiClient(AutoscalingV2Api);
    const apps = kubeConfig.makeApiClient(AppsV1Api);
    await expect
      .poll(
        () =>
          autoscaling.readNamespacedHorizontalPodAutoscaler({ name: "scaler", namespace: "default" }).then(
            () => "present",
            (error: { code?: number }) => error.code,
          ),
        { timeout: 15_000 },
      )
      .toBe(404);
    await expect
      .poll(
        async () => (await apps.readNamespacedDeployment({ name: "scaler", namespace: "default" })).spec?.replicas,
        {
          timeout: 15_000,
        },
      )
      .toBe(3);
    expect((await kubectl(["delete", "mcpserver/scaler"])).code).toBe(0);
  });
});
