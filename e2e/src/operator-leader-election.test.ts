import { CoordinationV1Api, CustomObjectsApi, PatchStrategy, setHeaderOptions } from "@kubernetes/client-node";
import {
  type ElectionClock,
  type LeaderElector,
  type RunningController,
  startController,
  startLeaderElection,
} from "@mcpscope/operator";
import { pino } from "pino";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { type ControlPlane, startControlPlane } from "./harness/control-plane.js";
import {
  grantOperatorRbac,
  installMcpServerCrd,
  type LoggedReconcile,
  type OperatorProcess,
  operatorLease,
  operatorNamespace,
  overlappingReconciles,
  reconcilesOf,
  startOperatorProcess,
} from "./harness/operator-process.js";
import { kubectlWith } from "./harness/programs.js";

// Leader election as client-go's, on a real API server: a leader frozen with SIGSTOP and resumed, and
// replicas whose wall clocks are an hour off, never leave two replicas reconciling at once.

const namespace = "election";
const fleet = Array.from({ length: 20 }, (_, i) => `mcp-${i}`);
const leaseSeconds = 3;
let cp: ControlPlane;
let operatorKubeconfig = "";
const processes: OperatorProcess[] = [];
const electors: LeaderElector[] = [];

const kubectl = kubectlWith(
  () => inject("tools").KUBECTL,
  () => cp.kubeconfigPath,
);

const readLease = (name: string) =>
  cp
    .adminKubeConfig()
    .makeApiClient(CoordinationV1Api)
    .readNamespacedLease({ name, namespace: operatorNamespace })
    .catch(() => undefined);
const holderOf = async (name: string) => (await readLease(name))?.spec?.holderIdentity;

/** Edits McpServers one after another (an annotation: an event for the leader, no new generation). */
function startChurn(): { stop(): void } {
  const custom = cp.adminKubeConfig().makeApiClient(CustomObjectsApi);
  let n = 0;
  const timer = setInterval(() => {
    n += 1;
    void custom
      .patchNamespacedCustomObject(
        {
          group: "mcpscope.dev",
          version: "v1alpha1",
          namespace,
          plural: "mcpservers",
          name: fleet[n % fleet.length] ?? "mcp-0",
          body: { metadata: { annotations: { "test.mcpscope.dev/churn": String(n) } } },
        },
        setHeaderOptions("Content-Type", PatchStrategy.MergePatch),
      )
      .catch(() => {});
  }, 100);
  return { stop: () => clearInterval(timer) };
}

beforeAll(async () => {
  cp = await startControlPlane(inject("tools"));
  await installMcpServerCrd(kubectl);
  operatorKubeconfig = await grantOperatorRbac(cp);
  expect((await kubectl(["create", "namespace", namespace])).code).toBe(0);
  const items = fleet.map((name) => ({
    apiVersion: "mcpscope.dev/v1alpha1",
    kind: "McpServer",
    metadata: { name, namespace },
    spec: { server: { image: "node:24-slim", port: 3001 } },
  }));
  expect((await kubectl(["apply", "-f", "-"], JSON.stringify({ apiVersion: "v1", kind: "List", items }))).code).toBe(0);
}, 120_000);

afterAll(async () => {
  for (const elector of electors) await elector.stop();
  for (const operator of processes) {
    operator.child.kill("SIGCONT");
    await operator.stop();
  }
  await cp?.stop();
});

describe("leader election as client-go's, on a real API server", () => {
  it("a leader frozen with SIGSTOP stops leading when resumed, before reconciling anything: never two leaders at once", async ({
    annotate,
  }) => {
    const env = { LEASE_DURATION_SECONDS: String(leaseSeconds) };
    const a = await startOperatorProcess(operatorKubeconfig, "replica-a", env);
    processes.push(a);
    await expect.poll(() => holderOf(operatorLease), { timeout: 15_000 }).toBe("replica-a");
    const b = await startOperatorProcess(operatorKubeconfig, "replica-b", env);
    processes.push(b);
    // The leader has converged the whole fleet and is idle (nothing reconciled for a second): frozen
    // mid-reconcile, it would finish the one request it had sent (and write nothing more, see below).
    const custom = cp.adminKubeConfig().makeApiClient(CustomObjectsApi);
    const converged = async () =>
      (
        (await custom.listNamespacedCustomObject({
          group: "mcpscope.dev",
          version: "v1alpha1",
          namespace,
          plural: "mcpservers",
        })) as { items: Array<{ status?: { conditions?: Array<{ type: string; reason: string }> } }> }
      ).items.filter((m) =>
        m.status?.conditions?.some((c) => c.type === "Progressing" && c.reason === "RolloutComplete"),
      ).length;
    await expect.poll(converged, { timeout: 90_000, interval: 500 }).toBe(fleet.length);
    await expect
      .poll(() => Date.now() - Math.max(...reconcilesOf(a).map((r) => r.endedAt)), { timeout: 30_000 })
      .toBeGreaterThan(1_000);

    a.child.kill("SIGSTOP");
    const frozenAt = Date.now();
    const churn = startChurn();
    try {
      await expect.poll(() => holderOf(operatorLease), { timeout: 20_000 }).toBe("replica-b");
      // The new leader works through the edits made while the old one is frozen.
      await expect.poll(() => reconcilesOf(b).length, { timeout: 30_000 }).toBeGreaterThan(fleet.length);
      a.child.kill("SIGCONT");
      const resumedAt = Date.now();
      // The resumed replica has the edits of its frozen watch to deliver; it must not act on them.
      await expect
        .poll(() => a.logs.some((l) => l.msg === "stopped leading" && (l.time as number) >= resumedAt - 50), {
          timeout: 15_000,
        })
        .toBe(true);
      await expect
        .poll(() => reconcilesOf(b).filter((r) => r.startedAt > resumedAt + 2_000).length, { timeout: 30_000 })
        .toBeGreaterThan(5);
    } finally {
      churn.stop();
    }
    // Nothing after the freeze: not while frozen, not once resumed.
    expect(reconcilesOf(a).filter((r) => r.endedAt >= frozenAt)).toEqual([]);
    expect(overlappingReconciles([...reconcilesOf(a), ...reconcilesOf(b)])).toEqual([]);
    expect(await holderOf(operatorLease)).toBe("replica-b");
    const abandoned = a.logs.filter((l) => l.msg === "reconcile abandoned: no longer leading").length;
    await annotate(
      `reconciles: ${reconcilesOf(a).length} by the frozen leader (all before the freeze), ${reconcilesOf(b).length} by its successor; ${abandoned} abandoned on resume before writing`,
    );
    for (const operator of [a, b]) await operator.stop();
  }, 240_000);

  it("replicas whose clocks are an hour ahead or behind neither take a live lease nor keep one from being taken", async () => {
    const leaseName = "clock-offsets";
    const reconciles: LoggedReconcile[] = [];
    const hour = 3_600_000;
    /** A replica with its own wall clock (offset by `offsetMs`) and a real controller while it leads. */
    const replica = (identity: string, offsetMs: number): LeaderElector => {
      const clock: ElectionClock = { monotonicMs: () => performance.now(), now: () => new Date(Date.now() + offsetMs) };
      let controller: RunningController | undefined;
      const elector: LeaderElector = startLeaderElection({
        kubeConfig: cp.adminKubeConfig(),
        namespace: operatorNamespace,
        leaseName,
        identity,
        leaseDurationSeconds: leaseSeconds,
        clock,
        // stop() is then a crash: the lease stays held until it expires.
        releaseOnStop: false,
        onStartedLeading: async () => {
          controller = await startController({
            kubeConfig: cp.adminKubeConfig(),
            defaults: { sidecarImage: "ghcr.io/mcpscope/sidecar:test" },
            logger: pino({ level: "silent" }),
            leading: () => elector.isLeader(),
            onReconciled: (_result, seconds, key) => {
              const endedAt = Date.now();
              reconciles.push({ replica: identity, key, startedAt: endedAt - seconds * 1000, endedAt });
            },
          });
        },
        onStoppedLeading: async () => {
          await controller?.stop();
          controller = undefined;
        },
        logger: pino({ level: "silent" }),
      });
      electors.push(elector);
      return elector;
    };
    const renewedAt = async () => new Date(String((await readLease(leaseName))?.spec?.renewTime)).getTime();

    const churn = startChurn();
    try {
      const onTime = replica("on-time", 0);
      await expect.poll(() => holderOf(leaseName), { timeout: 15_000 }).toBe("on-time");
      const ahead = replica("an-hour-ahead", hour);
      // The lease renewed for three lease durations while the replica an hour ahead campaigns: it never
      // takes it (judging by renewTime, it would have at once: to its clock that renewal is an hour old).
      const firstRenewal = await renewedAt();
      await expect
        .poll(
          async () => {
            expect(await holderOf(leaseName)).toBe("on-time");
            return (await renewedAt()) - firstRenewal;
          },
          { timeout: 30_000, interval: 500 },
        )
        .toBeGreaterThan(3 * leaseSeconds * 1000);
      expect((await readLease(leaseName))?.spec?.leaseTransitions ?? 0).toBe(0);

      // The leader crashes: the replica an hour ahead takes over after a lease duration.
      await onTime.stop();
      await expect.poll(() => holderOf(leaseName), { timeout: 20_000 }).toBe("an-hour-ahead");
      expect(await renewedAt()).toBeGreaterThan(Date.now() + hour / 2);

      // A replica an hour behind sees renewals dated two hours ahead; when that leader crashes, it still
      // takes over after a lease duration (judging by renewTime, it would wait two hours).
      const behind = replica("an-hour-behind", -hour);
      await expect
        .poll(() => reconciles.filter((r) => r.replica === "an-hour-ahead").length, { timeout: 15_000 })
        .toBeGreaterThan(0);
      await ahead.stop();
      await expect.poll(() => holderOf(leaseName), { timeout: 20_000 }).toBe("an-hour-behind");
      await expect
        .poll(() => reconciles.filter((r) => r.replica === "an-hour-behind").length, { timeout: 15_000 })
        .toBeGreaterThan(0);
      expect(behind.isLeader()).toBe(true);
    } finally {
      churn.stop();
    }
    expect(new Set(reconciles.map((r) => r.replica))).toEqual(new Set(["on-time", "an-hour-ahead", "an-hour-behind"]));
    expect(overlappingReconciles(reconciles)).toEqual([]);
  }, 180_000);
});
