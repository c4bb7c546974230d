#!/usr/bin/env node
// `npm run bench` (second part): the operator on a real control plane.
// 1. Webhook admission latency: pod creations through kube-apiserver, in a namespace the webhook
//    injects vs namespaces it is not called for (bare pod; pod already carrying the sidecar),
//    alternating rounds; added p50/p99.
// 2. Reconcile throughput: time from creating 1,000 McpServers to 1,000 Deployments and Services, and the
//    operator process's RSS.
import { spawn } from "node:child_process";
import { readFile } from "node:fs/promises";
import { fileURLToPath } from "node:url";
import {
  AdmissionregistrationV1Api,
  AppsV1Api,
  CoreV1Api,
  CustomObjectsApi,
  type V1Pod,
} from "@kubernetes/client-node";
import { operatorNodeFlags } from "@mcpscope/operator";
import { buildWebhookConfiguration, injectSidecar } from "@mcpscope/operator/webhook";
import { freePort, stopProcess } from "@mcpscope/sidecar/testing";
import { Pool } from "undici";
import { startControlPlane } from "../harness/control-plane.js";
import { setupTools } from "../harness/tools.js";
import { median, percentile, rssMbFromProcStatus } from "./stats.js";

const quick = process.argv.includes("--quick");
const pods = quick ? 200 : 1000;
const servers = quick ? 200 : 1000;
const us = (v: number) => `${(v / 1000).toFixed(2)} ms`;
/** The operator's SIDECAR_IMAGE here, and the image of the pre-injected baseline pods. */
const sidecarImage = "ghcr.io/mcpscope/sidecar:0.1.0";

async function main(): Promise<void> {
  const tools = setupTools();
  const cp = await startControlPlane(tools, { controllerManager: false });
  const kc = cp.adminKubeConfig();
  const core = kc.makeApiClient(CoreV1Api);
  const webhookPort = await freePort();
  const metricsPort = await freePort();
  const operatorMain = fileURLToPath(new URL("../../../operator/dist/main.js", import.meta.url));
  let operator: ReturnType<typeof spawn> | undefined;
  // Ctrl-C or a kill must not leave etcd and kube-apiserver behind.
  const onSignal = () => {
    operator?.kill("SIGKILL");
    void cp.stop().finally(() => process.exit(130));
  };
  process.once("SIGINT", onSignal);
  process.once("SIGTERM", onSignal);
  try {
    for (const name of ["mcpscope-system", "bench-inject", "bench-baseline", "bench-preinjected", "bench-servers"]) {
      await core.createNamespace({ body: { metadata: { name } } });
      // No controller-manager here (it would compete for the CPU): create the default ServiceAccounts.
      await core.createNamespacedServiceAccount({ namespace: name, body: { metadata: { name: "default" } } });
    }
    await kc.makeApiClient(AdmissionregistrationV1Api).createMutatingWebhookConfiguration({
      body: buildWebhookConfiguration({
        name: "mcpscope-webhook",
        target: { url: `https://127.0.0.1:${webhookPort}` },
        excludedNamespaces: ["kube-system", "mcpscope-system", "bench-baseline", "bench-preinjected"],
      }),
    });
    const crds = fileURLToPath(new URL("../../../crds/mcpscope.dev_mcpservers.yaml", import.meta.url));
    await new Promise<void>((resolve, reject) => {
      const child = spawn(tools.KUBECTL, ["--kubeconfig", cp.kubeconfigPath, "apply", "-f", crds], { stdio: "ignore" });
      child.once("exit", (code) => (code === 0 ? resolve() : reject(new Error(`kubectl apply exited ${code}`))));
    });
    await new Promise((resolve) => setTimeout(resolve, 2_000)); // CRD established

    operator = spawn(process.execPath, [...operatorNodeFlags, operatorMain], {
      env: {
        PATH: process.env.PATH ?? "",
        KUBECONFIG: cp.kubeconfigPath,
        LEADER_ELECTION: "false",
        SIDECAR_IMAGE: sidecarImage,
        // e.g. --max-old-space-size=192, to see the working set under a heap cap like a pod's limit.
        NODE_OPTIONS: process.env.MCPSCOPE_OPERATOR_NODE_OPTIONS ?? "",
        WEBHOOK_HOST: "127.0.0.1",
        WEBHOOK_PORT: String(webhookPort),
        WEBHOOK_EXTRA_IPS: "127.0.0.1",
        HEALTH_PORT: String(await freePort()),
        METRICS_PORT: String(metricsPort),
        LOG_LEVEL: "warn",
      },
      stdio: ["ignore", "inherit", "inherit"],
    });
    const deadline = Date.now() + 30_000;
    while (
      !(await fetch(`http://127.0.0.1:${metricsPort}/metrics`).then(
        (r) => r.ok,
        () => false,
      ))
    ) {
      if (Date.now() > deadline) throw new Error("operator did not start");
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    await new Promise((resolve) => setTimeout(resolve, 1_000)); // caBundle patched

    // 1. Admission latency. Three kinds of pod creation, alternating rounds: a bare pod the webhook
    // injects; the same bare pod where the webhook is not called; and the already-injected pod where
    // it is not called. The last baseline stores the same object as the first, so the difference is
    // the admission call alone, not the cost of a bigger pod.
    const barePod: V1Pod = {
      metadata: { annotations: { "mcpscope.dev/inject": "true", "mcpscope.dev/server-name": "bench" } },
      spec: { containers: [{ name: "server", image: "weather:1", ports: [{ containerPort: 3001 }] }] },
    };
    const preInjected = injectSidecar(barePod, { sidecarImage, nativeSidecars: true });
    const kinds = {
      "bench-inject": { body: barePod, injected: true },
      "bench-baseline": { body: barePod, injected: false },
      "bench-preinjected": { body: preInjected, injected: true },
    } as const;
    type Kind = keyof typeof kinds;
    const create = async (namespace: Kind, i: number) => {
      const { body, injected } = kinds[namespace];
      const started = process.hrtime.bigint();
      const pod = await core.createNamespacedPod({
        namespace,
        body: { ...body, metadata: { ...body.metadata, name: `p-${i}` } },
      });
      const elapsed = Number(process.hrtime.bigint() - started) / 1000;
      if ((pod.spec?.initContainers ?? []).length > 0 !== injected) {
        throw new Error(`pod ${namespace}/p-${i}: expected injected=${injected}`);
      }
      return elapsed;
    };
    const rounds = 4;
    const perRound = pods / rounds;
    const added = { bare50: [] as number[], bare99: [] as number[], call50: [] as number[], call99: [] as number[] };
    const all: Record<Kind, number[]> = { "bench-inject": [], "bench-baseline": [], "bench-preinjected": [] };
    const order: Kind[] = ["bench-inject", "bench-baseline", "bench-preinjected"];
    for (let r = 0; r < rounds; r++) {
      const samples: Record<Kind, number[]> = { "bench-inject": [], "bench-baseline": [], "bench-preinjected": [] };
      for (const ns of r % 2 === 0 ? order : [...order].reverse()) {
        for (let i = 0; i < perRound; i++) samples[ns].push(await create(ns, r * perRound + i));
        all[ns].push(...samples[ns]);
      }
      const p = (ns: Kind, q: number) => percentile(samples[ns], q);
      added.bare50.push(p("bench-inject", 50) - p("bench-baseline", 50));
      added.bare99.push(p("bench-inject", 99) - p("bench-baseline", 99));
      added.call50.push(p("bench-inject", 50) - p("bench-preinjected", 50));
      added.call99.push(p("bench-inject", 99) - p("bench-preinjected", 99));
    }
    const overall = (ns: Kind) => `p50 ${us(percentile(all[ns], 50))} p99 ${us(percentile(all[ns], 99))}`;
    console.log(
      `webhook admission, ${pods} pod creations each way: injected by the webhook ${overall("bench-inject")}; bare pod, no webhook ${overall("bench-baseline")}; pre-injected pod, no webhook ${overall("bench-preinjected")}`,
    );
    console.log(
      `  added by the admission call (vs the pre-injected pod) p50 ${us(median(added.call50))}, p99 ${us(median(added.call99))} (goal p99 ≤ 5 ms); added vs a bare pod (the call plus storing the bigger pod) p50 ${us(median(added.bare50))}, p99 ${us(median(added.bare99))}`,
    );

    // 1b. The webhook server alone: the same AdmissionReview posted straight to it over HTTPS with a
    // kept-alive connection, as the API server does. What the operator itself costs per admission.
    {
      const webhook = new Pool(`https://127.0.0.1:${webhookPort}`, {
        connections: 1,
        connect: { rejectUnauthorized: false },
      });
      const review = (i: number) =>
        JSON.stringify({
          apiVersion: "admission.k8s.io/v1",
          kind: "AdmissionReview",
          request: {
            uid: `bench-${i}`,
            kind: { group: "", version: "v1", kind: "Pod" },
            namespace: "bench-inject",
            operation: "CREATE",
            object: { ...barePod, metadata: { ...barePod.metadata, name: `direct-${i}`, namespace: "bench-inject" } },
          },
        });
      const direct: number[] = [];
      for (let i = 0; i < pods + 200; i++) {
        const body = review(i);
        const started = process.hrtime.bigint();
        const response = await webhook.request({
          method: "POST",
          path: "/mutate-pods",
          headers: { "content-type": "application/json" },
          body,
        });
        const answer = (await response.body.json()) as { response?: { patch?: string } };
        const elapsed = Number(process.hrtime.bigint() - started) / 1000;
        if (!answer.response?.patch) throw new Error("the webhook answered without a patch");
        if (i >= 200) direct.push(elapsed); // the first 200 warm up
      }
      await webhook.close();
      console.log(
        `  the webhook server alone (AdmissionReview posted directly, ${pods} requests): p50 ${us(percentile(direct, 50))}, p99 ${us(percentile(direct, 99))} — the rest of the added time is the API server's side of the call`,
      );
    }

    // 2. Reconcile 1,000 McpServers.
    const custom = kc.makeApiClient(CustomObjectsApi);
    const apps = kc.makeApiClient(AppsV1Api);
    const started = performance.now();
    const queue = Array.from({ length: servers }, (_, i) => i);
    await Promise.all(
      Array.from({ length: 16 }, async () => {
        for (let i = queue.shift(); i !== undefined; i = queue.shift()) {
          await custom.createNamespacedCustomObject({
            group: "mcpscope.dev",
            version: "v1alpha1",
            namespace: "bench-servers",
            plural: "mcpservers",
            body: {
              apiVersion: "mcpscope.dev/v1alpha1",
              kind: "McpServer",
              metadata: { name: `s-${i}` },
              spec: { server: { image: "mcp/server:1" } },
            },
          });
        }
      }),
    );
    const created = performance.now();
    // Reconciled = both owned objects exist: the Deployment and the Service.
    let count = 0;
    while (count < servers) {
      const [deployments, services] = await Promise.all([
        apps.listNamespacedDeployment({ namespace: "bench-servers" }),
        core.listNamespacedService({ namespace: "bench-servers" }),
      ]);
      count = Math.min(deployments.items.length, services.items.length);
      if (performance.now() - started > 300_000) {
        throw new Error(
          `after 300 s only ${deployments.items.length} Deployments and ${services.items.length} Services`,
        );
      }
      if (count < servers) await new Promise((resolve) => setTimeout(resolve, 250));
    }
    const done = performance.now();
    const rss = rssMbFromProcStatus(await readFile(`/proc/${operator.pid}/status`, "utf8"));
    console.log(
      `reconcile: ${servers} McpServers created in ${((created - started) / 1000).toFixed(1)} s; all ${servers} Deployments and Services present ${((done - started) / 1000).toFixed(1)} s after the first create (goal ≤ 60 s); operator RSS ${rss.toFixed(1)} MB`,
    );
  } finally {
    if (operator) await stopProcess(operator);
    await cp.stop();
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
