import {
  AdmissionregistrationV1Api,
  AppsV1Api,
  CoreV1Api,
  RbacAuthorizationV1Api,
  type V1Container,
  type V1LimitRangeSpec,
  type V1Pod,
  type V1ResourceQuotaSpec,
} from "@kubernetes/client-node";
import {
  type AdmissionServer,
  buildWebhookConfiguration,
  startAdmissionServer,
  type WatchedNamespacePolicies,
  watchNamespacePolicies,
} from "@mcpscope/operator/webhook";
import { ensureWebhookCertificate } from "@mcpscope/operator/webhook-certificate";
import { freePort } from "@mcpscope/sidecar/testing";
import { pino } from "pino";
import { afterAll, beforeAll, describe, expect, inject, it, vi } from "vitest";
import { type ControlPlane, startControlPlane } from "./harness/control-plane.js";
import { kubectlWith } from "./harness/programs.js";

const webhookName = "mcpscope-webhook";
let cp: ControlPlane;
let server: AdmissionServer | undefined;
let policies: WatchedNamespacePolicies | undefined;
let core: CoreV1Api;
/** What the webhook asked to record as a Warning Event (the operator turns each into one). */
const injectionFailures: Array<{ namespace: string; message: string }> = [];
const admissions: string[] = [];

const podBody = (
  name: string,
  annotations: Record<string, string> = {},
  labels: Record<string, string> = { app: "weather" },
): V1Pod => ({
  metadata: { name, annotations, labels },
  spec: { containers: [{ name: "server", image: "weather:1", ports: [{ containerPort: 3001 }] }] },
});

/** Waits for the namespace's default ServiceAccount, which the controller-manager creates (also in beforeAll: vi.waitFor). */
async function defaultServiceAccount(namespace: string) {
  await vi.waitFor(
    async () => {
      const { items } = await core.listNamespacedServiceAccount({ namespace });
      if (items.length === 0) throw new Error(`no default ServiceAccount in ${namespace}`);
    },
    { timeout: 30_000, interval: 100 },
  );
}

beforeAll(async () => {
  cp = await startControlPlane(inject("tools"));
  const kc = cp.adminKubeConfig();
  core = kc.makeApiClient(CoreV1Api);
  await core.createNamespace({ body: { metadata: { name: "mcpscope-system" } } });
  await core.createNamespace({ body: { metadata: { name: "team-a", labels: { "mcpscope.dev/inject": "enabled" } } } });
  // Pods need their namespace's default ServiceAccount, which the controller-manager creates.
  for (const namespace of ["default", "team-a", "mcpscope-system"]) await defaultServiceAccount(namespace);
  const port = await freePort();
  await kc.makeApiClient(AdmissionregistrationV1Api).createMutatingWebhookConfiguration({
    body: buildWebhookConfiguration({
      name: webhookName,
      target: { url: `https://127.0.0.1:${port}` },
      excludedNamespaces: ["kube-system", "mcpscope-system"],
    }),
  });
  const certificate = await ensureWebhookCertificate(kc, {
    namespace: "mcpscope-system",
    secretName: "mcpscope-webhook-tls",
    webhookConfigurationName: webhookName,
    dnsNames: ["mcpscope-webhook.mcpscope-system.svc"],
    ipAddresses: ["127.0.0.1"],
  });
  policies = await watchNamespacePolicies(kc, pino({ level: "silent" }));
  server = await startAdmissionServer({
    host: "127.0.0.1",
    port,
    tls: certificate.serving,
    // As the chart's slo.defaults reach the operator (SLO_DEFAULT_AVAILABILITY).
    settings: {
      sidecarImage: "ghcr.io/mcpscope/sidecar:test",
      nativeSidecars: true,
      sloDefaults: { availability: "99.9" },
    },
    namespaceLabels: async (ns) => (await core.readNamespace({ name: ns })).metadata?.labels ?? {},
    onInjectionFailed: (_pod, namespace, message) => injectionFailures.push({ namespace, message }),
    onAdmission: (result) => admissions.push(result),
    namespacePolicy: policies.policy,
    logger: pino({ level: "silent" }),
  });
}, 120_000);

afterAll(async () => {
  await server?.close();
  await policies?.stop();
  await cp?.stop();
});

describe("injection in namespaces with quotas and limit ranges: pods are admitted, never refused", () => {
  const sidecarOf = (pod: V1Pod) =>
    [...(pod.spec?.initContainers ?? []), ...(pod.spec?.containers ?? [])].find((c) => c.name === "mcpscope-sidecar");
  const withResources = (name: string, resources: object): V1Pod => {
    const body = podBody(name, { "mcpscope.dev/inject": "true" });
    for (const c of body.spec?.containers ?? []) c.resources = resources;
    return body;
  };
  const namespace = async (name: string, object?: object) => {
    await core.createNamespace({ body: { metadata: { name } } });
    await defaultServiceAccount(name);
    if (object && "hard" in object)
      await core.createNamespacedResourceQuota({
        namespace: name,
        body: { metadata: { name: "q" }, spec: object as V1ResourceQuotaSpec },
      });
    else if (object)
      await core.createNamespacedLimitRange({
        namespace: name,
        body: { metadata: { name: "limits" }, spec: object as V1LimitRangeSpec },
      });
    // The webhook's informers have it a moment after the write.
    const known = async () => {
      const policy = await policies?.policy(name);
      return (policy?.limitRanges.length ?? 0) + (policy?.quotas.length ?? 0);
    };
    await expect.poll(known, { timeout: 10_000, interval: 20 }).toBe(object ? 1 : 0);
  };

  it("gives the sidecar the CPU limit a quota on limits.cpu demands", async () => {
    await namespace("quota-cpu", { hard: { "limits.cpu": "4", "limits.memory": "4Gi" } });
    const pod = await core.createNamespacedPod({
      namespace: "quota-cpu",
      body: withResources("app", { limits: { cpu: "200m", memory: "128Mi" } }),
    });
    expect(sidecarOf(pod)?.resources?.limits).toMatchObject({ cpu: "500m", memory: "256Mi" });
  });

  it("lowers the sidecar's memory limit to the LimitRange's max", async () => {
    await namespace("small", { limits: [{ type: "Container", max: { memory: "128Mi" } }] });
    const pod = await core.createNamespacedPod({
      namespace: "small",
      body: withResources("app", { limits: { memory: "64Mi" } }),
    });
    expect(sidecarOf(pod)?.resources?.limits?.memory).toBe("128Mi");
  });

  it("admits the pod without the sidecar when the LimitRange leaves it too little", async () => {
    await namespace("tiny", { limits: [{ type: "Container", max: { memory: "32Mi" } }] });
    const pod = await core.createNamespacedPod({
      namespace: "tiny",
      body: withResources("app", { limits: { memory: "32Mi" } }),
    });
    expect(sidecarOf(pod)).toBeUndefined();
    expect(pod.metadata?.annotations?.["mcpscope.dev/injected"]).toBeUndefined();
  });

  it("admits the pod without the sidecar when the sidecar's annotations would push it over 256 KiB", async () => {
    // 262,144 bytes is the API server's limit on keys and values together: this pod is just under it.
    const body = podBody("annotated-full", { "mcpscope.dev/inject": "true", big: "x".repeat(262_144 - 70) });
    const pod = await core.createNamespacedPod({ namespace: "default", body });
    expect(sidecarOf(pod)).toBeUndefined();
  });

  it("knows every namespace's LimitRanges and ResourceQuotas from its informers, without an API call per pod", async () => {
    expect(policies?.watching()).toBe(true);
    await core.createNamespacedLimitRange({
      namespace: "small",
      body: { metadata: { name: "later" }, spec: { limits: [{ type: "Container", max: { cpu: "2" } }] } },
    });
    await expect
      .poll(async () => (await policies?.policy("small"))?.limitRanges.map((l) => l.metadata?.name).sort())
      .toEqual(["later", "limits"]);
    await core.deleteNamespacedLimitRange({ namespace: "small", name: "later" });
    await expect
      .poll(async () => (await policies?.policy("small"))?.limitRanges.map((l) => l.metadata?.name))
      .toEqual(["limits"]);
    expect(policies?.watching()).toBe(true);
  });

  it("reads them at each admission instead when its ClusterRole lacks watch (an older chart)", async () => {
    const rbac = cp.adminKubeConfig().makeApiClient(RbacAuthorizationV1Api);
    await rbac.createClusterRole({
      body: {
        metadata: { name: "list-only" },
        rules: [{ apiGroups: [""], resources: ["limitranges", "resourcequotas"], verbs: ["list"] }],
      },
    });
    await rbac.createClusterRoleBinding({
      body: {
        metadata: { name: "list-only" },
        roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "ClusterRole", name: "list-only" },
        subjects: [{ kind: "User", name: "list-only", apiGroup: "rbac.authorization.k8s.io" }],
      },
    });
    const { kubeConfig } = await cp.kubeConfigFor("list-only");
    const listOnly = await watchNamespacePolicies(kubeConfig, pino({ level: "silent" }));
    try {
      // Its informers list, then fail to watch (403) and are retried: not watching, most of the time.
      await expect.poll(() => listOnly.watching(), { timeout: 10_000, interval: 10 }).toBe(false);
      for (let i = 0; i < 5; i++) {
        const policy = await listOnly.policy("small");
        expect(policy.limitRanges.map((l) => l.metadata?.name)).toEqual(["limits"]);
        expect(policy.quotas).toEqual([]);
      }
    } finally {
      await listOnly.stop();
    }
  });

  it("admits the pod without the sidecar when the quota has room for the pod but not for the sidecar", async () => {
    await namespace("tight", { hard: { "requests.memory": "100Mi" } });
    const pod = await core.createNamespacedPod({
      namespace: "tight",
      body: withResources("app", { requests: { memory: "64Mi" } }),
    });
    expect(sidecarOf(pod)).toBeUndefined();
  });
});

describe("the injection webhook behind a real kube-apiserver", () => {
  it("keeps its certificate stable: a second sync changes neither the Secret nor the caBundle", async () => {
    const kc = cp.adminKubeConfig();
    const before = await kc
      .makeApiClient(AdmissionregistrationV1Api)
      .readMutatingWebhookConfiguration({ name: webhookName });
    const again = await ensureWebhookCertificate(kc, {
      namespace: "mcpscope-system",
      secretName: "mcpscope-webhook-tls",
      webhookConfigurationName: webhookName,
      dnsNames: ["mcpscope-webhook.mcpscope-system.svc"],
      ipAddresses: ["127.0.0.1"],
    });
    const after = await kc
      .makeApiClient(AdmissionregistrationV1Api)
      .readMutatingWebhookConfiguration({ name: webhookName });
    expect(again.changed).toBe(false);
    expect(after.metadata?.resourceVersion).toBe(before.metadata?.resourceVersion);
  });

  it("renews the serving certificate before it expires, and the CA (with a new caBundle) before it does", async () => {
    const kc = cp.adminKubeConfig();
    // Its own webhook configuration (matching no namespace), so rotating it leaves the live one alone.
    const rotation = buildWebhookConfiguration({
      name: "rotation-test",
      target: { url: "https://127.0.0.1:1" },
      excludedNamespaces: [],
    });
    const hook = rotation.webhooks?.[0];
    if (hook) hook.namespaceSelector = { matchLabels: { "mcpscope.dev/never": "matches" } };
    await kc.makeApiClient(AdmissionregistrationV1Api).createMutatingWebhookConfiguration({ body: rotation });
    const sync = (daysAhead: number) =>
      ensureWebhookCertificate(kc, {
        namespace: "mcpscope-system",
        secretName: "mcpscope-webhook-tls-rotation",
        webhookConfigurationName: "rotation-test",
        dnsNames: ["mcpscope-webhook.mcpscope-system.svc"],
        now: () => new Date(Date.now() + daysAhead * 86_400_000),
      });
    const first = await sync(0);
    const nearServingExpiry = await sync(340);
    expect(nearServingExpiry.changed).toBe(true);
    expect(nearServingExpiry.caPem).toBe(first.caPem);
    expect(nearServingExpiry.serving.certPem).not.toBe(first.serving.certPem);
    const nearCaExpiry = await sync(3630);
    expect(nearCaExpiry.caPem).not.toBe(first.caPem);
    const config = await kc
      .makeApiClient(AdmissionregistrationV1Api)
      .readMutatingWebhookConfiguration({ name: "rotation-test" });
    expect(config.webhooks?.[0]?.clientConfig.caBundle).toBe(Buffer.from(nearCaExpiry.caPem).toString("base64"));
  });

  it("injects a native sidecar into a pod annotated mcpscope.dev/inject: true", async () => {
    const pod = await core.createNamespacedPod({
      namespace: "default",
      body: podBody("annotated", { "mcpscope.dev/inject": "true", "mcpscope.dev/server-name": "weather" }),
    });
    const sidecar = pod.spec?.initContainers?.find((c) => c.name === "mcpscope-sidecar");
    expect(sidecar?.restartPolicy).toBe("Always");
    expect(sidecar?.env?.find((e) => e.name === "MCP_UPSTREAM_URL")?.value).toBe("http://127.0.0.1:3001");
    expect(sidecar?.env?.find((e) => e.name === "MCP_UPSTREAM_NAME")?.value).toBe("weather");
    expect(pod.metadata?.annotations?.["mcpscope.dev/injected"]).toBe("true");
  });

  it("leaves a pod without the annotation untouched", async () => {
    const pod = await core.createNamespacedPod({ namespace: "default", body: podBody("plain") });
    expect(pod.spec?.initContainers).toBeUndefined();
    expect(pod.spec?.containers.map((c) => c.name)).toEqual(["server"]);
  });

  it("injects every pod of a namespace labelled mcpscope.dev/inject=enabled, except one that opts out", async () => {
    const injected = await core.createNamespacedPod({ namespace: "team-a", body: podBody("by-namespace") });
    expect(injected.spec?.initContainers?.map((c) => c.name)).toEqual(["mcpscope-sidecar"]);
    const optedOut = await core.createNamespacedPod({
      namespace: "team-a",
      body: podBody("opted-out", { "mcpscope.dev/inject": "false" }),
    });
    expect(optedOut.spec?.initContainers).toBeUndefined();
  });

  it("does not inject a pod twice", async () => {
    const first = await core.createNamespacedPod({
      namespace: "default",
      body: podBody("twice-a", { "mcpscope.dev/inject": "true" }),
    });
    // The admitted pod, resubmitted (as a reinvocation would present it), minus what the
    // ServiceAccount admission added (token volume mounts).
    const strip = (containers: V1Container[]) => containers.map(({ volumeMounts: _v, ...c }) => c);
    const resubmitted: V1Pod = {
      metadata: { name: "twice-b", annotations: first.metadata?.annotations, labels: first.metadata?.labels },
      spec: {
        containers: strip(first.spec?.containers ?? []),
        initContainers: strip(first.spec?.initContainers ?? []),
      },
    };
    const second = await core.createNamespacedPod({ namespace: "default", body: resubmitted });
    expect(second.spec?.initContainers?.filter((c) => c.name === "mcpscope-sidecar")).toHaveLength(1);
  });

  it('records an Event for mcpscope.dev/inject: "yes" and "", and none for a server-side dry run', async () => {
    for (const [name, value] of [
      ["yes", "yes"],
      ["empty", ""],
    ]) {
      const before = injectionFailures.length;
      const pod = await core.createNamespacedPod({
        namespace: "default",
        body: podBody(`inject-${name}`, { "mcpscope.dev/inject": value ?? "" }),
      });
      expect(pod.spec?.initContainers).toBeUndefined();
      expect(injectionFailures.slice(before)).toEqual([
        {
          namespace: "default",
          message: `mcpscope.dev/inject must be "true" or "false", got "${value}"; not injected`,
        },
      ]);
    }
    const before = injectionFailures.length;
    const admittedBefore = admissions.length;
    await core.createNamespacedPod({
      namespace: "default",
      body: podBody("dry", { "mcpscope.dev/inject": "true", "mcpscope.dev/upstream-port": "http" }),
      dryRun: "All",
    });
    // The webhook was called (and counted) but, for a dry run, asked for no Event: it declares sideEffects None.
    expect(admissions.slice(admittedBefore)).toEqual(["failed"]);
    expect(injectionFailures.length).toBe(before);
  });

  it("gives the injected sidecar the pod's mcpscope.dev/slo-* objectives, and the installation's default for the rest", async () => {
    const sloEnvOf = (pod: V1Pod) =>
      Object.fromEntries(
        (pod.spec?.initContainers?.find((c) => c.name === "mcpscope-sidecar")?.env ?? [])
          .filter((e) => e.name.startsWith("MCP_SLO_"))
          .map((e) => [e.name, e.value]),
      );
    const annotated = await core.createNamespacedPod({
      namespace: "default",
      body: podBody("slo-annotated", {
        "mcpscope.dev/inject": "true",
        "mcpscope.dev/slo-availability": "99.5",
        "mcpscope.dev/slo-latency-threshold": "300ms",
        "mcpscope.dev/slo-latency-objective": "99",
      }),
    });
    expect(sloEnvOf(annotated)).toEqual({
      MCP_SLO_AVAILABILITY: "99.5",
      MCP_SLO_LATENCY_THRESHOLD: "300ms",
      MCP_SLO_LATENCY_OBJECTIVE: "99",
    });
    const latencyOnly = await core.createNamespacedPod({
      namespace: "default",
      body: podBody("slo-latency-only", {
        "mcpscope.dev/inject": "true",
        "mcpscope.dev/slo-latency-threshold": "1s",
        "mcpscope.dev/slo-latency-objective": "95",
      }),
    });
    expect(sloEnvOf(latencyOnly)).toEqual({
      MCP_SLO_AVAILABILITY: "99.9",
      MCP_SLO_LATENCY_THRESHOLD: "1s",
      MCP_SLO_LATENCY_OBJECTIVE: "95",
    });
  });

  it("admits a pod with a bad SLO annotation without the sidecar, with a warning kubectl prints and an Event", async () => {
    const kubectl = kubectlWith(
      () => inject("tools").KUBECTL,
      () => cp.kubeconfigPath,
    );
    const before = injectionFailures.length;
    const message =
      'mcpscope: sidecar not injected: mcpscope.dev/slo-availability must be a percent strictly between 0 and 100, such as "99.9", got "100%"';
    const created = await kubectl(
      ["create", "-f", "-", "-o", "json"],
      JSON.stringify({
        apiVersion: "v1",
        kind: "Pod",
        spec: podBody("slo-bad").spec,
        metadata: {
          name: "slo-bad",
          namespace: "default",
          annotations: { "mcpscope.dev/inject": "true", "mcpscope.dev/slo-availability": "100%" },
        },
      }),
    );
    expect(created.code).toBe(0);
    expect(created.stderr).toContain(`Warning: ${message}`);
    expect((JSON.parse(created.stdout) as V1Pod).spec?.initContainers).toBeUndefined();
    expect(injectionFailures.slice(before)).toEqual([{ namespace: "default", message }]);
  });

  it("routes an injected Deployment's sessions among its replicas: mcpscope.dev/replica-peers names their headless Service", async () => {
    // The pods come from the ReplicaSet controller, as in a user's Deployment: the webhook learns the
    // namespace from the admission request (the pod's own metadata has none yet).
    const apps = cp.adminKubeConfig().makeApiClient(AppsV1Api);
    const labels = { app: "routed" };
    await apps.createNamespacedDeployment({
      namespace: "team-a",
      body: {
        metadata: { name: "routed" },
        spec: {
          replicas: 2,
          selector: { matchLabels: labels },
          template: {
            metadata: {
              labels,
              annotations: { "mcpscope.dev/inject": "true", "mcpscope.dev/replica-peers": "routed-peers" },
            },
            spec: { containers: [{ name: "server", image: "weather:1", ports: [{ containerPort: 3001 }] }] },
          },
        },
      },
    });
    const pods = await vi.waitFor(
      async () => {
        const { items } = await core.listNamespacedPod({ namespace: "team-a", labelSelector: "app=routed" });
        if (items.length !== 2) throw new Error(`${items.length} pods`);
        return items;
      },
      { timeout: 60_000, interval: 200 },
    );
    for (const pod of pods) {
      const env = pod.spec?.initContainers?.find((c) => c.name === "mcpscope-sidecar")?.env ?? [];
      expect(env).toContainEqual({
        name: "MCP_POD_IP",
        valueFrom: { fieldRef: { apiVersion: "v1", fieldPath: "status.podIP" } },
      });
      expect(env).toContainEqual({ name: "MCP_REPLICA_PEERS", value: "routed-peers.team-a.svc" });
    }
    await apps.deleteNamespacedDeployment({ name: "routed", namespace: "team-a" });
  });

  it("admits a pod whose mcpscope.dev/replica-peers is no Service name without the sidecar, with a warning", async () => {
    const before = injectionFailures.length;
    const pod = await core.createNamespacedPod({
      namespace: "default",
      body: podBody("bad-peers", { "mcpscope.dev/inject": "true", "mcpscope.dev/replica-peers": "peers.other-ns" }),
    });
    expect(pod.spec?.initContainers).toBeUndefined();
    expect(injectionFailures.slice(before)).toEqual([
      {
        namespace: "default",
        message: expect.stringContaining("mcpscope.dev/replica-peers must name a headless Service"),
      },
    ]);
  });

  it("admits a pod with a bad annotation without the sidecar", async () => {
    const pod = await core.createNamespacedPod({
      namespace: "default",
      body: podBody("bad", { "mcpscope.dev/inject": "true", "mcpscope.dev/upstream-port": "http" }),
    });
    expect(pod.spec?.initContainers).toBeUndefined();
  });

  it("never mutates the operator's own namespace", async () => {
    const pod = await core.createNamespacedPod({
      namespace: "mcpscope-system",
      body: podBody("own", { "mcpscope.dev/inject": "true" }),
    });
    expect(pod.spec?.initContainers).toBeUndefined();
  });

  it("still admits pods when the webhook is down (failurePolicy: Ignore)", async () => {
    await server?.close();
    server = undefined;
    const pod = await core.createNamespacedPod({
      namespace: "default",
      body: podBody("webhook-down", { "mcpscope.dev/inject": "true" }),
    });
    expect(pod.metadata?.name).toBe("webhook-down");
    expect(pod.spec?.initContainers).toBeUndefined();
  });
});
