/** The McpServer's condition types (Kubernetes convention: Ready, Progressing, Degraded). */
export const ConditionType = {
  ready: "Ready",
  progressing: "Progressing",
  degraded: "Degraded",
} as const;
export type ConditionType = (typeof ConditionType)[keyof typeof ConditionType];

/**
 * Every reason the operator writes, on an McpServer's conditions and on Warning events: stable
 * CamelCase codes a user, `kubectl wait` or an alert can match on. README.md documents each in its
 * "McpServer condition and event reasons" table (reasons.test.ts checks both ways).
 */
export const Reason = {
  /** Degraded=False: the Deployment and Service are as the McpServer says. */
  reconciled: "Reconciled",
  /** The spec does not parse (the CRD's schema let it through): fix the McpServer. */
  invalidSpec: "InvalidSpec",
  /** The API server refused the Deployment or Service (4xx): not retried until the McpServer changes. */
  applyFailed: "ApplyFailed",
  /** The API server failed (5xx): retried with backoff. */
  applyError: "ApplyError",
  /** The ReplicaSet cannot create pods (quota, LimitRange, Pod Security…). */
  podsNotCreated: "PodsNotCreated",
  rolloutComplete: "RolloutComplete",
  rollingOut: "RollingOut",
  minimumReplicasReady: "MinimumReplicasReady",
  replicasNotReady: "ReplicasNotReady",
  /** A Warning event on a pod's owner: the webhook admitted the pod without the sidecar. */
  sidecarInjectionFailed: "SidecarInjectionFailed",
} as const;
export type Reason = (typeof Reason)[keyof typeof Reason];

/** The reasons of a failed apply: each is Degraded=True, Ready=False and a Warning event. */
export type FailureReason = typeof Reason.invalidSpec | typeof Reason.applyFailed | typeof Reason.applyError;
