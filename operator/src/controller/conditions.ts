import { isDeepStrictEqual } from "node:util";
import type { V1Deployment } from "@kubernetes/client-node";
import type { Condition, McpServerStatus } from "../api/mcpserver.js";
import { ConditionType, type FailureReason, Reason } from "../api/reasons.js";

export type Outcome =
  | { kind: "applied"; deployment: V1Deployment; serverName: string; url: string }
  | { kind: "failed"; reason: FailureReason; message: string };

/** Sets a condition, keeping lastTransitionTime when its status did not change (Kubernetes convention). */
export function setCondition(
  conditions: readonly Condition[],
  next: Omit<Condition, "lastTransitionTime">,
  now: string,
): Condition[] {
  const previous = conditions.find((c) => c.type === next.type);
  const lastTransitionTime = previous && previous.status === next.status ? previous.lastTransitionTime : now;
  return [...conditions.filter((c) => c.type !== next.type), { ...next, lastTransitionTime }];
}

/** The McpServer status that truthfully describes an apply outcome. Pure. */
export function computeStatus(
  previous: McpServerStatus | undefined,
  generation: number,
  outcome: Outcome,
  now: string,
): McpServerStatus {
  let conditions = previous?.conditions ?? [];
  const set = (type: ConditionType, status: Condition["status"], reason: Reason, message: string) => {
    conditions = setCondition(conditions, { type, status, reason, message, observedGeneration: generation }, now);
  };
  if (outcome.kind === "failed") {
    set(ConditionType.degraded, "True", outcome.reason, outcome.message);
    set(ConditionType.ready, "False", outcome.reason, outcome.message);
    set(ConditionType.progressing, "False", outcome.reason, "Not rolling out until the problem is fixed");
    return { ...previous, conditions, observedGeneration: generation };
  }
  const { deployment } = outcome;
  const wanted = deployment.spec?.replicas ?? 1;
  const status = deployment.status ?? {};
  const ready = status.readyReplicas ?? 0;
  const updated = status.updatedReplicas ?? 0;
  const rolledOut = (status.observedGeneration ?? 0) >= (deployment.metadata?.generation ?? 0) && updated >= wanted;
  // The ReplicaSet could not create pods (quota, LimitRange, Pod Security…): the Deployment says so.
  const replicaFailure = status.conditions?.find((c) => c.type === "ReplicaFailure" && c.status === "True");
  if (replicaFailure)
    set(
      ConditionType.degraded,
      "True",
      Reason.podsNotCreated,
      replicaFailure.message ?? "the ReplicaSet cannot create pods",
    );
  else set(ConditionType.degraded, "False", Reason.reconciled, "Deployment and Service are as specified");
  set(
    ConditionType.progressing,
    rolledOut ? "False" : "True",
    rolledOut ? Reason.rolloutComplete : Reason.rollingOut,
    rolledOut ? "All replicas run the current spec" : `${updated} of ${wanted} replicas updated`,
  );
  const isReady = ready >= wanted;
  set(
    ConditionType.ready,
    isReady ? "True" : "False",
    isReady ? Reason.minimumReplicasReady : Reason.replicasNotReady,
    `${ready} of ${wanted} replicas ready`,
  );
  return {
    conditions,
    observedGeneration: generation,
    readyReplicas: ready,
    url: outcome.url,
    serverName: outcome.serverName,
  };
}

/**
 * The status as the API server would hold it: no undefined fields, conditions in type order (a list
 * the operator rebuilds, so its order carries no meaning).
 */
function normalStatus(status: McpServerStatus | undefined): McpServerStatus {
  const plain = JSON.parse(JSON.stringify(status ?? {})) as McpServerStatus;
  if (plain.conditions) plain.conditions = [...plain.conditions].sort((x, y) => x.type.localeCompare(y.type));
  return plain;
}

/**
 * Status equality by meaning: the API server returns the resource with its keys in its own order, so
 * serialisations never compare equal. computeStatus keeps a condition's lastTransitionTime while its
 * status holds, so an unchanged status compares equal and is never written again.
 */
export function sameStatus(a: McpServerStatus | undefined, b: McpServerStatus): boolean {
  return isDeepStrictEqual(normalStatus(a), normalStatus(b));
}
