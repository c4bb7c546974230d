import type { V1Deployment } from "@kubernetes/client-node";
import { describe, expect, it } from "vitest";
import { computeStatus, sameStatus, setCondition } from "./conditions.js";

const at = (t: string) => `2026-11-25T00:00:0${t}Z`;

function deployment(status: V1Deployment["status"], replicas = 1): V1Deployment {
  return { metadata: { generation: 2 }, spec: { replicas, selector: {}, template: {} }, status };
}

const applied = (status: V1Deployment["status"]) =>
  ({ kind: "applied", deployment: deployment(status), serverName: "w", url: "http://w" }) as const;

describe("setCondition", () => {
  it("keeps lastTransitionTime while the status stays, and moves it when the status changes", () => {
    const first = setCondition([], { type: "Ready", status: "False", reason: "a", message: "" }, at("1"));
    const same = setCondition(first, { type: "Ready", status: "False", reason: "b", message: "" }, at("2"));
    expect(same[0]?.lastTransitionTime).toBe(at("1"));
    const flipped = setCondition(same, { type: "Ready", status: "True", reason: "c", message: "" }, at("3"));
    expect(flipped[0]?.lastTransitionTime).toBe(at("3"));
  });
});

describe("computeStatus", () => {
  it("says Ready when every replica is ready and the rollout is complete", () => {
    const status = computeStatus(
      undefined,
      3,
      applied({ observedGeneration: 2, readyReplicas: 1, updatedReplicas: 1 }),
      at("1"),
    );
    const byType = Object.fromEntries((status.conditions ?? []).map((c) => [c.type, c]));
    expect(byType.Ready).toMatchObject({ status: "True", reason: "MinimumReplicasReady", observedGeneration: 3 });
    expect(byType.Progressing).toMatchObject({ status: "False", reason: "RolloutComplete" });
    expect(byType.Degraded).toMatchObject({ status: "False", reason: "Reconciled" });
    expect(status).toMatchObject({ readyReplicas: 1, url: "http://w", serverName: "w", observedGeneration: 3 });
  });

  it("says Degraded=PodsNotCreated with the ReplicaSet's message when pods cannot be created", () => {
    const message =
      'pods "w-1" is forbidden: exceeded quota: no-pods, requested: pods=1, used: pods=0, limited: pods=0';
    const status = computeStatus(
      undefined,
      1,
      applied({ conditions: [{ type: "ReplicaFailure", status: "True", reason: "FailedCreate", message }] }),
      at("1"),
    );
    expect(status.conditions?.find((c) => c.type === "Degraded")).toMatchObject({
      status: "True",
      reason: "PodsNotCreated",
      message,
    });
    expect(status.conditions?.find((c) => c.type === "Ready")).toMatchObject({ status: "False" });
  });

  it("records a failed apply as Degraded, not Ready and not progressing, keeping what was known", () => {
    const status = computeStatus(
      { url: "http://old" },
      4,
      { kind: "failed", reason: "ApplyFailed", message: "quantity is invalid" },
      at("1"),
    );
    expect(status.url).toBe("http://old");
    expect(status.conditions?.map((c) => [c.type, c.status, c.reason]).sort()).toEqual([
      ["Degraded", "True", "ApplyFailed"],
      ["Progressing", "False", "ApplyFailed"],
      ["Ready", "False", "ApplyFailed"],
    ]);
  });
});

describe("sameStatus", () => {
  it("ignores condition order", () => {
    const a = {
      conditions: [
        { type: "A", status: "True" as const, reason: "", message: "", lastTransitionTime: "t" },
        { type: "B", status: "True" as const, reason: "", message: "", lastTransitionTime: "t" },
      ],
    };
    expect(sameStatus(a, { conditions: [...a.conditions].reverse() })).toBe(true);
    expect(sameStatus(a, { conditions: a.conditions.slice(1) })).toBe(false);
  });

  it("ignores key order, as the API server returns the resource with its own", () => {
    const computed = computeStatus(
      undefined,
      2,
      applied({ observedGeneration: 2, readyReplicas: 1, updatedReplicas: 1 }),
      at("1"),
    );
    // The same status with every object's keys reversed: what a JSON round trip through the server gives.
    const reversedKeys = (value: unknown): unknown =>
      Array.isArray(value)
        ? value.map(reversedKeys)
        : value && typeof value === "object"
          ? Object.fromEntries(
              Object.entries(value)
                .reverse()
                .map(([k, v]) => [k, reversedKeys(v)]),
            )
          : value;
    const fromServer = reversedKeys(computed) as typeof computed;
    expect(JSON.stringify(fromServer)).not.toBe(JSON.stringify(computed));
    expect(sameStatus(fromServer, computed)).toBe(true);
  });

  it("treats an absent field and an undefined one alike", () => {
    expect(sameStatus({ url: "http://w" }, { url: "http://w", serverName: undefined })).toBe(true);
  });

  it("finds a status recomputed later, with nothing changed, the same: lastTransitionTime stays", () => {
    const outcome = applied({ observedGeneration: 2, readyReplicas: 0, updatedReplicas: 1 });
    const first = computeStatus(undefined, 2, outcome, at("1"));
    expect(sameStatus(first, computeStatus(first, 2, outcome, at("9")))).toBe(true);
  });

  it("finds a real change different: a new generation, a flipped condition, a new message", () => {
    const outcome = applied({ observedGeneration: 2, readyReplicas: 0, updatedReplicas: 1 });
    const first = computeStatus(undefined, 2, outcome, at("1"));
    expect(sameStatus(first, computeStatus(first, 3, outcome, at("2")))).toBe(false);
    const ready = applied({ observedGeneration: 2, readyReplicas: 1, updatedReplicas: 1 });
    expect(sameStatus(first, computeStatus(first, 2, ready, at("2")))).toBe(false);
    const twoWanted = { ...outcome, deployment: deployment(outcome.deployment.status, 2) };
    expect(sameStatus(first, computeStatus(first, 2, twoWanted, at("2")))).toBe(false);
  });
});
