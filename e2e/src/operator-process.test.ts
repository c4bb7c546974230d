import { type ChildProcess, spawn } from "node:child_process";
import { request as httpsRequest } from "node:https";
import { connect as tlsConnect } from "node:tls";
import { fileURLToPath } from "node:url";
import {
  AdmissionregistrationV1Api,
  AppsV1Api,
  CoordinationV1Api,
  CoreV1Api,
  RbacAuthorizationV1Api,
} from "@kubernetes/client-node";
import { buildOperatorRbac } from "@mcpscope/operator";
import { buildWebhookConfiguration } from "@mcpscope/operator/webhook";
import { freePort, readMetrics, sampleValue, stopProcess } from "@mcpscope/sidecar/testing";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { type ControlPlane, startControlPlane } from "./harness/control-plane.js";
import { kubectlWith } from "./harness/programs.js";

const operatorMain = fileURLToPath(new URL("../../operator/dist/main.js", import.meta.url));
const crdsDir = fileURLToPath(new URL("../../crds/", import.meta.url));
let cp: ControlPlane;
/** The operators run as a user holding only the operator's least-privilege RBAC, not as admin. */
let operatorKubeconfig = "";
const operators: Array<{
  name: string;
  child: ChildProcess;
  healthPort: number;
  metricsPort: number;
  webhookPort: number;
}> = [];

const kubectl = kubectlWith(
  () => inject("tools").KUBECTL,
  () => cp.kubeconfigPath,
);

async function startOperatorProcess(name: string, extraEnv: Record<string, string> = {}) {
  const [healthPort, metricsPort, webhookPort] = [await freePort(), await freePort(), await freePort()];
  const child = spawn(process.execPath, [operatorMain], {
    env: {
      PATH: process.env.PATH ?? "",
      KUBECONFIG: operatorKubeconfig,
      POD_NAME: name,
      OPERATOR_NAMESPACE: "mcpscope-system",
      LEASE_DURATION_SECONDS: "3",
      WEBHOOK_HOST: "127.0.0.1",
      WEBHOOK_PORT: String(webhookPort),
      WEBHOOK_EXTRA_IPS: "127.0.0.1",
      HEALTH_PORT: String(healthPort),
      METRICS_PORT: String(metricsPort),
      LOG_LEVEL: "warn",
      ...extraEnv,
    },
    stdio: ["ignore", "inherit", "inherit"],
  });
  const entry = { name, child, healthPort, metricsPort, webhookPort };
  operators.push(entry);
  await expect
    .poll(
      () =>
        fetch(`http://127.0.0.1:${healthPort}/healthz`).then(
          (r) => r.status,
          () => 0,
        ),
      { timeout: 30_000 },
    )
    .toBe(200);
  return entry;
}

const holder = async () =>
  (
    await cp
      .adminKubeConfig()
      .makeApiClient(CoordinationV1Api)
      .readNamespacedLease({ name: "mcpscope-operator", namespace: "mcpscope-system" })
      .catch(() => undefined)
  )?.spec?.holderIdentity;

beforeAll(async () => {
  cp = await startControlPlane(inject("tools"));
  expect((await kubectl(["apply", "-f", crdsDir])).code).toBe(0);
  expect(
    (await kubectl(["wait", "--for=condition=Established", "crd/mcpservers.mcpscope.dev", "--timeout=30s"])).code,
  ).toBe(0);
  await cp
    .adminKubeConfig()
    .makeApiClient(CoreV1Api)
    .createNamespace({ body: { metadata: { name: "mcpscope-system" } } });
  const rbac = buildOperatorRbac({
    name: "mcpscope-operator",
    namespace: "mcpscope-system",
    webhookConfigurationName: "mcpscope-webhook",
    leaseName: "mcpscope-operator",
    webhookSecretName: "mcpscope-webhook-tls",
  });
  const subjects = [{ kind: "User", name: "mcpscope-operator", apiGroup: "rbac.authorization.k8s.io" }];
  const rbacApi = cp.adminKubeConfig().makeApiClient(RbacAuthorizationV1Api);
  await rbacApi.createClusterRole({ body: rbac.clusterRole });
  await rbacApi.createNamespacedRole({ namespace: "mcpscope-system", body: rbac.role });
  const roleRef = (kind: string) => ({ apiGroup: "rbac.authorization.k8s.io", kind, name: "mcpscope-operator" });
  await rbacApi.createClusterRoleBinding({
    body: { metadata: { name: "mcpscope-operator" }, roleRef: roleRef("ClusterRole"), subjects },
  });
  await rbacApi.createNamespacedRoleBinding({
    namespace: "mcpscope-system",
    body: { metadata: { name: "mcpscope-operator" }, roleRef: roleRef("Role"), subjects },
  });
  operatorKubeconfig = (await cp.kubeConfigFor("mcpscope-operator")).path;
}, 120_000);

afterAll(async () => {
  for (const o of operators) await stopProcess(o.child);
  await cp?.stop();
});

describe("two operator processes with least-privilege RBAC", () => {
  it("elect one leader, and the other takes over when the leader is killed", async () => {
    // The webhook configuration exists first, so the operator's certificate sync fills its caBundle.
    const port = await freePort();
    await cp
      .adminKubeConfig()
      .makeApiClient(AdmissionregistrationV1Api)
      .createMutatingWebhookConfiguration({
        body: buildWebhookConfiguration({
          name: "mcpscope-webhook",
          target: { url: `https://127.0.0.1:${port}` },
          excludedNamespaces: ["kube-system", "mcpscope-system"],
        }),
      });
    const a = await startOperatorProcess("operator-a");
    const b = await startOperatorProcess("operator-b");
    await expect.poll(holder, { timeout: 15_000 }).toMatch(/^operator-[ab]$/);
    const leader = (await holder()) === "operator-a" ? a : b;
    const follower = leader === a ? b : a;

    await kubectl(
      ["apply", "-f", "-"],
      "apiVersion: mcpscope.dev/v1alpha1\nkind: McpServer\nmetadata: { name: weather, namespace: default }\nspec:\n  server: { image: 'node:24-slim' }\n",
    );
    const apps = cp.adminKubeConfig().makeApiClient(AppsV1Api);
    await expect
      .poll(
        () =>
          apps.readNamespacedDeployment({ name: "weather", namespace: "default" }).then(
            () => true,
            () => false,
          ),
        { timeout: 15_000 },
      )
      .toBe(true);

    leader.child.kill("SIGKILL");
    await expect.poll(holder, { timeout: 20_000 }).toBe(follower.name);
    await kubectl(["patch", "mcps", "weather", "--type=merge", "-p", '{"spec":{"replicas":3}}']);
    await expect
      .poll(
        async () => (await apps.readNamespacedDeployment({ name: "weather", namespace: "default" })).spec?.replicas,
        { timeout: 15_000 },
      )
      .toBe(3);

    const points = await readMetrics(`http://127.0.0.1:${follower.metricsPort}/metrics`);
    expect(sampleValue(points, "mcpscope_operator_reconciles_total", { result: "ok" })).toBeGreaterThan(0);
    expect(sampleValue(points, "mcpscope_operator_leader")).toBe(1);
    expect((await fetch(`http://127.0.0.1:${follower.healthPort}/readyz`)).status).toBe(200);
  });

  it("filled the webhook's caBundle and answers a malformed AdmissionReview with a clear 400", async () => {
    const config = await cp
      .adminKubeConfig()
      .makeApiClient(AdmissionregistrationV1Api)
      .readMutatingWebhookConfiguration({ name: "mcpscope-webhook" });
    expect(config.webhooks?.[0]?.clientConfig.caBundle).toBeTruthy();
    const live = operators.find((o) => o.child.exitCode === null && o.child.signalCode === null);
    const answer = await new Promise<{ status: number; body: string }>((resolve, reject) => {
      const req = httpsRequest(
        {
          host: "127.0.0.1",
          port: live?.webhookPort,
          path: "/mutate-pods",
          method: "POST",
          rejectUnauthorized: false,
          headers: { "content-type": "application/json" },
        },
        (res) => {
          let body = "";
          res.on("data", (c) => {
            body += c;
          });
          res.on("end", () => resolve({ status: res.statusCode ?? 0, body }));
        },
      );
      req.on("error", reject);
      req.end('{"kind":"AdmissionReview"}');
    });
    expect(answer.status).toBe(400);
    expect(JSON.parse(answer.body).error).toMatch(/^not an admission.k8s.io\/v1 AdmissionReview: /);
  });

  it("recreates a deleted webhook Secret, and every replica serves the certificate of the new caBundle within seconds", async () => {
    const replicas = [
      await startOperatorProcess("operator-c", { WEBHOOK_CERT_CHECK_SECONDS: "1" }),
      await startOperatorProcess("operator-d", { WEBHOOK_CERT_CHECK_SECONDS: "1" }),
    ];
    const admin = cp.adminKubeConfig();
    const core = admin.makeApiClient(CoreV1Api);
    const caOf = async () =>
      Buffer.from(
        (await core.readNamespacedSecret({ name: "mcpscope-webhook-tls", namespace: "mcpscope-system" })).data?.[
          "ca.crt"
        ] ?? "",
        "base64",
      ).toString();
    const before = await caOf();
    await core.deleteNamespacedSecret({ name: "mcpscope-webhook-tls", namespace: "mcpscope-system" });
    await expect.poll(() => caOf().catch(() => ""), { timeout: 15_000 }).toMatch(/BEGIN CERTIFICATE/);
    const after = await caOf();
    expect(after).not.toBe(before);
    const bundle = async () =>
      Buffer.from(
        (
          await admin
            .makeApiClient(AdmissionregistrationV1Api)
            .readMutatingWebhookConfiguration({ name: "mcpscope-webhook" })
        ).webhooks?.[0]?.clientConfig.caBundle ?? "",
        "base64",
      ).toString();
    await expect.poll(bundle, { timeout: 15_000 }).toBe(after);
    // Each replica's webhook now verifies against the new CA (a TLS handshake that trusts only it).
    const verifies = (port: number) =>
      new Promise<boolean>((resolve) => {
        const socket = tlsConnect({ host: "127.0.0.1", port, ca: after, servername: "127.0.0.1" }, () => {
          socket.end();
          resolve(true);
        });
        socket.on("error", () => resolve(false));
      });
    for (const replica of replicas) {
      await expect.poll(() => verifies(replica.webhookPort), { timeout: 15_000 }).toBe(true);
      expect((await fetch(`http://127.0.0.1:${replica.healthPort}/readyz`)).status).toBe(200);
    }
  });

  it("starts two replicas at the same moment with no webhook Secret: neither crashes on the other's 409", async () => {
    const core = cp.adminKubeConfig().makeApiClient(CoreV1Api);
    await core.deleteNamespacedSecret({ name: "mcpscope-webhook-tls", namespace: "mcpscope-system" });
    const [e, f] = await Promise.all([
      startOperatorProcess("operator-e", { WEBHOOK_CERT_CHECK_SECONDS: "1" }),
      startOperatorProcess("operator-f", { WEBHOOK_CERT_CHECK_SECONDS: "1" }),
    ]);
    for (const replica of [e, f]) {
      await expect
        .poll(() => fetch(`http://127.0.0.1:${replica.healthPort}/readyz`).then((r) => r.status), { timeout: 15_000 })
        .toBe(200);
      expect(replica.child.exitCode).toBeNull();
    }
  });
});
