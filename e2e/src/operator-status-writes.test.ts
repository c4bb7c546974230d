import { CustomObjectsApi, type KubernetesObject, Watch } from "@kubernetes/client-node";
import { type RunningController, startController } from "@mcpscope/operator";
import { parsePrometheusText, sampleValue } from "@mcpscope/sidecar/testing";
import { pino } from "pino";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { type ControlPlane, startControlPlane } from "./harness/control-plane.js";
import { installMcpServerCrd } from "./harness/operator-process.js";
import { kubectlWith } from "./harness/programs.js";

// Status writes at fleet size, counted by the API server itself (apiserver_request_total): once 200
// McpServers have converged, an operator restart and a resync write nothing; a real change is written
// once.

const namespace = "fleet";
const fleetSize = 200;
const resyncMs = 3_000;
const names = Array.from({ length: fleetSize }, (_, i) => `mcp-${i}`);
let cp: ControlPlane;
const running: RunningController[] = [];

const kubectl = kubectlWith(
  () => inject("tools").KUBECTL,
  () => cp.kubeconfigPath,
);

type McpServer = KubernetesObject & {
  spec?: { replicas?: number };
  status?: {
    observedGeneration?: number;
    conditions?: Array<{ type: string; status: string; reason: string; message: string }>;
  };
};

/**
 * Requests that wrote McpServer status, by verb, as kube-apiserver counts them (its metric names a
 * replace PUT, a merge or JSON patch PATCH, a server-side apply APPLY).
 */
async function statusWrites(): Promise<Record<"PATCH" | "PUT" | "APPLY", number>> {
  const points = parsePrometheusText(await cp.apiServerMetrics());
  const count = (verb: string) =>
    sampleValue(points, "apiserver_request_total", { resource: "mcpservers", subresource: "status", verb });
  return { PATCH: count("PATCH"), PUT: count("PUT"), APPLY: count("APPLY") };
}
const total = (counts: Record<string, number>) => Object.values(counts).reduce((a, b) => a + b, 0);

const listFleet = async () =>
  (
    (await cp
      .adminKubeConfig()
      .makeApiClient(CustomObjectsApi)
      .listNamespacedCustomObject({ group: "mcpscope.dev", version: "v1alpha1", namespace, plural: "mcpservers" })) as {
      items: McpServer[];
    }
  ).items;

/** Converged: the status describes the current generation and a rollout the controller-manager finished. */
const converged = (mcp: McpServer) =>
  mcp.status?.observedGeneration === mcp.metadata?.generation &&
  mcp.status?.conditions?.find((c) => c.type === "Progressing")?.reason === "RolloutComplete";

/** A controller as the operator's leader runs one, recording when each key was last reconciled. */
async function startRecordedController() {
  const lastReconciled = new Map<string, number>();
  const controller = await startController({
    kubeConfig: cp.adminKubeConfig(),
    defaults: { sidecarImage: "ghcr.io/mcpscope/sidecar:test" },
    logger: pino({ level: "silent" }),
    resyncMs,
    onReconciled: (_result, _seconds, key) => lastReconciled.set(key, Date.now()),
  });
  running.push(controller);
  /** Every McpServer of the fleet was reconciled after `since`. */
  const allReconciledSince = (since: number) =>
    names.every((name) => (lastReconciled.get(`${namespace}/${name}`) ?? 0) > since);
  return { controller, allReconciledSince };
}

/** Waits for one whole resync of the fleet that began after now: every key reconciled again after it. */
async function oneResync(allReconciledSince: (since: number) => boolean) {
  const after = Date.now() + resyncMs;
  await expect.poll(() => allReconciledSince(after), { timeout: 60_000, interval: 250 }).toBe(true);
}

beforeAll(async () => {
  cp = await startControlPlane(inject("tools"));
  await installMcpServerCrd(kubectl);
  expect((await kubectl(["create", "namespace", namespace])).code).toBe(0);
  const items = names.map((name) => ({
    apiVersion: "mcpscope.dev/v1alpha1",
    kind: "McpServer",
    metadata: { name, namespace },
    spec: { server: { image: "node:24-slim", port: 3001 } },
  }));
  const created = await kubectl(["apply", "-f", "-"], JSON.stringify({ apiVersion: "v1", kind: "List", items }));
  expect(created.stderr).toBe("");
}, 120_000);

afterAll(async () => {
  for (const controller of running) await controller.stop();
  await cp?.stop();
});

describe(`status writes over ${fleetSize} McpServers, counted by kube-apiserver`, () => {
  let restarted: Awaited<ReturnType<typeof startRecordedController>>;

  it("converges, then a restarted operator and a resync write no status at all", async ({ annotate }) => {
    const first = await startRecordedController();
    await expect
      .poll(async () => (await listFleet()).filter(converged).length, { timeout: 240_000, interval: 1_000 })
      .toBe(fleetSize);
    // Every key reconciled once more with the fleet converged: its status is the fixed point.
    await oneResync(first.allReconciledSince);
    await first.controller.stop();
    const before = await statusWrites();
    expect(before.PATCH).toBeGreaterThanOrEqual(fleetSize);
    await annotate(`status writes while ${fleetSize} McpServers converged: ${JSON.stringify(before)}`);

    restarted = await startRecordedController();
    const started = Date.now();
    await expect.poll(() => restarted.allReconciledSince(started), { timeout: 60_000, interval: 250 }).toBe(true);
    await oneResync(restarted.allReconciledSince);
    expect(await statusWrites()).toEqual(before);
  }, 420_000);

  it("writes a status someone else changed back once, and nothing more", async () => {
    const custom = cp.adminKubeConfig().makeApiClient(CustomObjectsApi);
    const target = { group: "mcpscope.dev", version: "v1alpha1", namespace, plural: "mcpservers", name: "mcp-7" };
    const original = (await custom.getNamespacedCustomObject(target)) as McpServer;
    const before = await statusWrites();
    // Someone else's status edit, by PUT (counted as PUT, apart from the operator's PATCHes).
    const tampered = structuredClone(original);
    const ready = tampered.status?.conditions?.find((c) => c.type === "Ready");
    if (ready) ready.reason = "EditedByHand";
    await custom.replaceNamespacedCustomObjectStatus({ ...target, body: tampered });
    await expect
      .poll(
        async () =>
          ((await custom.getNamespacedCustomObject(target)) as McpServer).status?.conditions?.find(
            (c) => c.type === "Ready",
          )?.reason,
        { timeout: 30_000 },
      )
      .toBe("ReplicasNotReady");
    await oneResync(restarted.allReconciledSince);
    const after = await statusWrites();
    expect({ PUT: after.PUT - before.PUT, PATCH: after.PATCH - before.PATCH }).toEqual({
      PUT: 1,
      PATCH: 1,
    });
  }, 120_000);

  it("writes a spec change's statuses once each: every status write is a change a watch sees", async ({ annotate }) => {
    const changes: string[] = [];
    let lastStatus: string | undefined;
    const watch = await new Watch(cp.adminKubeConfig()).watch(
      `/apis/mcpscope.dev/v1alpha1/namespaces/${namespace}/mcpservers`,
      { fieldSelector: "metadata.name=mcp-9" },
      (phase, object: McpServer) => {
        const status = JSON.stringify(object.status);
        if (phase === "MODIFIED" && lastStatus !== undefined && status !== lastStatus) changes.push(status);
        lastStatus = status;
      },
      () => {},
    );
    try {
      await expect.poll(() => lastStatus, { timeout: 10_000 }).toBeDefined();
      const before = await statusWrites();
      expect(
        (await kubectl(["-n", namespace, "patch", "mcps", "mcp-9", "--type=merge", "-p", '{"spec":{"replicas":2}}']))
          .code,
      ).toBe(0);
      await expect
        .poll(async () => (await listFleet()).filter((m) => m.metadata?.name === "mcp-9" && converged(m)).length, {
          timeout: 60_000,
        })
        .toBe(1);
      await oneResync(restarted.allReconciledSince);
      const written = total(await statusWrites()) - total(before);
      expect(written).toBeGreaterThanOrEqual(1);
      expect(written).toBe(changes.length);
      await annotate(`a spec change (replicas 1 → 2): ${written} status writes, ${changes.length} status changes`);
    } finally {
      watch.abort();
    }
  }, 120_000);
});
