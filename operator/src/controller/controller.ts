import {
  AppsV1Api,
  CoreV1Api,
  CustomObjectsApi,
  type KubeConfig,
  type KubernetesListObject,
  type KubernetesObject,
  makeInformer,
  type ObjectCache,
  type V1Deployment,
  type V1Service,
} from "@kubernetes/client-node";
import { SpanStatusCode, type Tracer } from "@opentelemetry/api";
import type { Logger } from "pino";
import { apiGroup, apiVersion, kind, Label, plural } from "../api/names.js";
import { SupervisedInformers } from "../supervised-informers.js";
import type { OperatorDefaults } from "./desired.js";
import { type McpServerResource, NotLeadingError, Reconciler } from "./reconciler.js";
import { WorkQueue } from "./work-queue.js";

export interface ControllerOptions {
  kubeConfig: KubeConfig;
  defaults: OperatorDefaults;
  logger: Logger;
  workers?: number;
  /** How often every McpServer is reconciled again, events or not (default 10 minutes). */
  resyncMs?: number;
  /** Traces one span per reconcile when set (tracing configured). */
  tracer?: Tracer | undefined;
  /** Asked before each reconcile: false when this replica may no longer act (its leadership lapsed). */
  leading?: () => boolean;
  /** Called after each reconcile, for the operator's own metrics. */
  onReconciled?: (result: "ok" | "error", seconds: number, key: string) => void;
}

export interface RunningController {
  queue: WorkQueue;
  /** True once every informer has listed. */
  synced(): boolean;
  stop(): Promise<void>;
}

const keyOf = (o: KubernetesObject) => `${o.metadata?.namespace}/${o.metadata?.name}`;

/** The McpServer that controls an owned object (Deployment, Service), from its owner reference. */
function ownerKey(owned: KubernetesObject): string | undefined {
  const owner = owned.metadata?.ownerReferences?.find(
    (r) => r.controller && r.kind === kind && r.apiVersion.startsWith(`${apiGroup}/`),
  );
  return owner ? `${owned.metadata?.namespace}/${owner.name}` : undefined;
}

/**
 * Informers on McpServers and on the Deployments and Services the operator manages (kept running by
 * SupervisedInformers) feed one work queue; workers run the level-based reconcile.
 */
export async function startController(options: ControllerOptions): Promise<RunningController> {
  const { kubeConfig, logger } = options;
  const custom = kubeConfig.makeApiClient(CustomObjectsApi);
  const apps = kubeConfig.makeApiClient(AppsV1Api);
  const core = kubeConfig.makeApiClient(CoreV1Api);
  const queue = new WorkQueue();
  const managedSelector = `${Label.managedBy}=mcpscope`;

  const mcpInformer = makeInformer<McpServerResource>(
    kubeConfig,
    `/apis/${apiGroup}/${apiVersion}/${plural}`,
    async () =>
      (await custom.listClusterCustomObject({
        group: apiGroup,
        version: apiVersion,
        plural,
      })) as KubernetesListObject<McpServerResource>,
  );
  const deploymentInformer = makeInformer<V1Deployment>(
    kubeConfig,
    "/apis/apps/v1/deployments",
    () => apps.listDeploymentForAllNamespaces({ labelSelector: managedSelector }),
    managedSelector,
  );
  const serviceInformer = makeInformer<V1Service>(
    kubeConfig,
    "/api/v1/services",
    () => core.listServiceForAllNamespaces({ labelSelector: managedSelector }),
    managedSelector,
  );
  const reconciler = new Reconciler({
    kubeConfig,
    cache: mcpInformer as ObjectCache<McpServerResource>,
    defaults: options.defaults,
    logger,
    leading: options.leading,
  });

  const informers = new SupervisedInformers(
    { mcpservers: mcpInformer, deployments: deploymentInformer, services: serviceInformer },
    logger,
  );
  // What an informer's first list brings (everything, e.g. on leader failover) waits behind new work.
  const enqueue = (informer: string, key: string) =>
    informers.hasListed(informer) ? queue.add(key) : queue.addBackground(key);
  for (const verb of ["add", "update", "delete"] as const) {
    mcpInformer.on(verb, (o) => enqueue("mcpservers", keyOf(o)));
    // Drift: someone edited or deleted a managed Deployment or Service; reconcile its owner.
    const owner = (informer: string) => (o: KubernetesObject) => {
      const key = ownerKey(o);
      if (key) enqueue(informer, key);
    };
    deploymentInformer.on(verb, owner("deployments"));
    serviceInformer.on(verb, owner("services"));
  }
  await informers.start();

  const worker = async () => {
    for (let key = await queue.get(); key !== undefined; key = await queue.get()) {
      if (options.leading && !options.leading()) {
        // Kept for later: if leadership comes back, this controller is replaced and lists everything anew.
        queue.addRateLimited(key);
        queue.done(key);
        continue;
      }
      const started = performance.now();
      const startedAt = Date.now();
      const [namespace, name] = key.split("/");
      const span = options.tracer?.startSpan("reconcile McpServer", {
        attributes: { "k8s.namespace.name": namespace ?? "", "mcpscope.mcpserver": name ?? "" },
      });
      try {
        await reconciler.reconcile(key);
        queue.forget(key);
        logger.debug({ key, startedAt, endedAt: Date.now() }, "reconciled");
        options.onReconciled?.("ok", (performance.now() - started) / 1000, key);
        span?.setAttribute("mcpscope.outcome", "ok");
      } catch (error) {
        if (error instanceof NotLeadingError) {
          // Leadership lapsed mid-way (e.g. the process was paused): nothing more is written.
          logger.debug({ key, startedAt, abandonedAt: Date.now() }, "reconcile abandoned: no longer leading");
          queue.addRateLimited(key);
          continue;
        }
        logger.warn({ err: error, key, startedAt, endedAt: Date.now() }, "reconcile failed; retrying with backoff");
        options.onReconciled?.("error", (performance.now() - started) / 1000, key);
        span?.setAttribute("mcpscope.outcome", "error");
        span?.setStatus({ code: SpanStatusCode.ERROR, message: (error as Error).message });
        queue.addRateLimited(key);
      } finally {
        span?.end();
        queue.done(key);
      }
    }
  };
  const workers = Array.from({ length: options.workers ?? 4 }, () => worker());
  // A periodic resync repairs what no event reported (a missed watch event, a manual edit of status).
  const resync = setInterval(() => {
    for (const mcp of mcpInformer.list()) queue.addBackground(keyOf(mcp));
  }, options.resyncMs ?? 600_000);
  resync.unref();

  return {
    queue,
    synced: () => informers.allListed(),
    async stop() {
      clearInterval(resync);
      queue.shutDown();
      await informers.stop();
      await Promise.allSettled(workers);
    },
  };
}
