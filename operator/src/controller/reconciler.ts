import {
  AppsV1Api,
  AutoscalingV2Api,
  CoreV1Api,
  CustomObjectsApi,
  type KubeConfig,
  type KubernetesObject,
  KubernetesObjectApi,
  type ObjectCache,
  PatchStrategy,
  setHeaderOptions,
  type V1Deployment,
  type V1Service,
} from "@kubernetes/client-node";
import type { Logger } from "pino";
import { type McpServerStatus, mcpServerSpecSchema } from "../api/mcpserver.js";
import { apiGroup, apiVersion, fieldManager, kind, plural } from "../api/names.js";
import { Reason } from "../api/reasons.js";
import { recordWarning } from "../events.js";
import { computeStatus, type Outcome, sameStatus } from "./conditions.js";
import { buildDesiredObjects, type McpServerObject, type OperatorDefaults } from "./desired.js";
import { foreignFieldRemovals, type PatchOperation } from "./foreign-fields.js";

const jsonPatch = setHeaderOptions("Content-Type", PatchStrategy.JsonPatch);

/** A reconcile stopped before its next write: this replica is no longer the leader. */
export class NotLeadingError extends Error {
  constructor() {
    super("no longer leading: the reconcile stopped before its next write");
    this.name = "NotLeadingError";
  }
}

export type McpServerResource = KubernetesObject & { spec?: unknown; status?: McpServerStatus };

export interface ReconcilerDeps {
  kubeConfig: KubeConfig;
  cache: ObjectCache<McpServerResource>;
  defaults: OperatorDefaults;
  logger: Logger;
  now?: () => Date;
  /** Asked before every write: false once this replica may no longer act (its leadership lapsed). */
  leading?: () => boolean;
}

function messageOf(error: unknown): string {
  const body = (error as { body?: unknown }).body;
  if (typeof body === "string") {
    try {
      const parsed = JSON.parse(body) as { message?: string };
      if (parsed.message) return parsed.message;
    } catch {
      return body;
    }
  }
  if (body && typeof body === "object" && "message" in body) return String((body as { message: unknown }).message);
  return error instanceof Error ? error.message : String(error);
}

/** Level-based: reads the McpServer from the informer cache and converges the cluster to it. */
export class Reconciler {
  readonly #deps: ReconcilerDeps;
  readonly #objects: KubernetesObjectApi;
  readonly #core: CoreV1Api;
  readonly #apps: AppsV1Api;
  readonly #custom: CustomObjectsApi;
  /**
   * The status this reconciler last wrote per key, with the resourceVersion its cache held then: until
   * the cache shows a newer version, the write is what the server holds (an event of an owned object
   * can arrive before the McpServer's own), so the same status is not written twice.
   */
  readonly #written = new Map<string, { basedOn: string | undefined; status: McpServerStatus | undefined }>();
  readonly #autoscaling: AutoscalingV2Api;

  constructor(deps: ReconcilerDeps) {
    this.#deps = deps;
    this.#objects = KubernetesObjectApi.makeApiClient(deps.kubeConfig);
    this.#core = deps.kubeConfig.makeApiClient(CoreV1Api);
    this.#apps = deps.kubeConfig.makeApiClient(AppsV1Api);
    this.#custom = deps.kubeConfig.makeApiClient(CustomObjectsApi);
    this.#autoscaling = deps.kubeConfig.makeApiClient(AutoscalingV2Api);
  }

  /** Throws on transient failures (the queue retries with backoff); records permanent ones in status. */
  async reconcile(key: string): Promise<void> {
    const [namespace = "", name = ""] = key.split("/");
    const resource = this.#deps.cache.get(name, namespace);
    if (!resource || resource.metadata?.deletionTimestamp) {
      this.#written.delete(key);
      return; // owned objects are garbage-collected
    }
    const cachedVersion = resource.metadata?.resourceVersion;
    const written = this.#written.get(key);
    if (written && written.basedOn !== cachedVersion) this.#written.delete(key);
    const currentStatus = written && written.basedOn === cachedVersion ? written.status : resource.status;
    const generation = resource.metadata?.generation ?? 0;
    const parsed = mcpServerSpecSchema.safeParse(resource.spec);
    let outcome: Outcome;
    /** A failure worth retrying (with backoff), still reported in the status meanwhile. */
    let retry: unknown;
    if (!parsed.success) {
      const message = parsed.error.issues.map((i) => `spec.${i.path.join(".")}: ${i.message}`).join("; ");
      outcome = { kind: "failed", reason: Reason.invalidSpec, message };
    } else {
      const mcp: McpServerObject = {
        apiVersion: `${apiGroup}/${apiVersion}`,
        kind,
        metadata: { ...resource.metadata, name, namespace, uid: resource.metadata?.uid ?? "" },
        spec: parsed.data,
      };
      const desired = buildDesiredObjects(mcp, this.#deps.defaults);
      try {
        this.#ensureLeading();
        const service = (await this.#objects.patch(
          desired.service,
          undefined,
          undefined,
          fieldManager,
          true,
          PatchStrategy.ServerSideApply,
        )) as V1Service;
        await this.#objects.patch(
          desired.peerService,
          undefined,
          undefined,
          fieldManager,
          true,
          PatchStrategy.ServerSideApply,
        );
        this.#ensureLeading();
        let deployment = (await this.#objects.patch(
          desired.deployment,
          undefined,
          undefined,
          fieldManager,
          true,
          PatchStrategy.ServerSideApply,
        )) as V1Deployment;
        // Server-side apply leaves other managers' fields; the Service and the pod template are only ours.
        await this.#removeForeign(service, ["spec"], (body) =>
          this.#core.patchNamespacedService(
            { name: desired.service.metadata?.name ?? "", namespace, body, fieldManager },
            jsonPatch,
          ),
        );
        deployment =
          (await this.#removeForeign(deployment, ["spec", "template", "spec"], (body) =>
            this.#apps.patchNamespacedDeployment(
              { name: desired.deployment.metadata?.name ?? "", namespace, body, fieldManager },
              jsonPatch,
            ),
          )) ?? deployment;
        if (desired.autoscaler) {
          await this.#objects.patch(
            desired.autoscaler,
            undefined,
            undefined,
            fieldManager,
            true,
            PatchStrategy.ServerSideApply,
          );
        } else {
          await this.#removeOwnedAutoscaler(desired.deployment.metadata?.name ?? name, namespace, mcp.metadata.uid);
        }
        outcome = { kind: "applied", deployment, serverName: desired.serverName, url: desired.url };
      } catch (error) {
        const code = (error as { code?: number }).code;
        // Conflicts, throttling and unreachable servers heal by retrying.
        if (code === undefined || code === 409 || code === 429) throw error;
        // A 5xx may heal or may be a spec the API server chokes on: say so in the status, and retry.
        if (code >= 500) retry = error;
        // 4xx will not heal by retrying: report them.
        outcome = {
          kind: "failed",
          reason: code >= 500 ? Reason.applyError : Reason.applyFailed,
          message: messageOf(error),
        };
      }
    }
    if (outcome.kind === "failed" && retry === undefined) {
      this.#ensureLeading();
      await this.#warn(resource, namespace, outcome.reason, outcome.message);
    }
    const status = computeStatus(currentStatus, generation, outcome, (this.#deps.now?.() ?? new Date()).toISOString());
    if (!sameStatus(currentStatus, status)) {
      this.#ensureLeading();
      const updated = (await this.#custom.patchNamespacedCustomObjectStatus(
        { group: apiGroup, version: apiVersion, namespace, plural, name, body: { status } },
        setHeaderOptions("Content-Type", PatchStrategy.MergePatch),
      )) as McpServerResource;
      this.#written.set(key, { basedOn: cachedVersion, status: updated.status });
    }
    if (retry !== undefined) throw retry;
  }

  /**
   * Removes what other field managers added below `scope`; undefined when there was nothing to remove.
   * A failure is retried (never reported as the McpServer's fault): the object changed meanwhile.
   */
  async #removeForeign<T extends KubernetesObject>(
    live: T,
    scope: readonly string[],
    patch: (body: PatchOperation[]) => Promise<T>,
  ): Promise<T | undefined> {
    const removals = foreignFieldRemovals(live, fieldManager, scope);
    if (removals.length === 0) return undefined;
    this.#ensureLeading();
    try {
      return await patch(removals);
    } catch (error) {
      throw new Error(`could not remove fields other managers added to ${live.kind} ${live.metadata?.name}`, {
        cause: error,
      });
    }
  }

  /** spec.autoscaling was removed: the autoscaler this McpServer owns goes (one a user made stays). */
  async #removeOwnedAutoscaler(name: string, namespace: string, ownerUid: string): Promise<void> {
    let existing: Awaited<ReturnType<AutoscalingV2Api["readNamespacedHorizontalPodAutoscaler"]>>;
    try {
      existing = await this.#autoscaling.readNamespacedHorizontalPodAutoscaler({ name, namespace });
    } catch (error) {
      if ((error as { code?: number }).code === 404) return;
      throw error;
    }
    if (!existing.metadata?.ownerReferences?.some((o) => o.uid === ownerUid && o.controller)) return;
    try {
      await this.#autoscaling.deleteNamespacedHorizontalPodAutoscaler({ name, namespace });
    } catch (error) {
      if ((error as { code?: number }).code !== 404) throw error;
    }
  }

  #ensureLeading(): void {
    if (this.#deps.leading && !this.#deps.leading()) throw new NotLeadingError();
  }

  /** A Warning Event on the McpServer; failing to record one never fails the reconcile. */
  async #warn(resource: McpServerResource, namespace: string, reason: Reason, message: string): Promise<void> {
    await recordWarning(
      this.#core,
      {
        namespace,
        involvedObject: {
          apiVersion: `${apiGroup}/${apiVersion}`,
          kind,
          name: resource.metadata?.name,
          namespace,
          uid: resource.metadata?.uid,
        },
        reason,
        message,
        component: "mcpscope-operator",
      },
      this.#deps.logger,
    );
  }
}
