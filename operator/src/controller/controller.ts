import {
  AppsV1Api,
  CoreV1Api,
  CustomObjectsApi,
  type Informer,
  type KubeConfig,
  type KubernetesListObject,
  type KubernetesObject,
  makeInformer,
  type ObjectCache,
  type V1Deployment,
  type V1Service,
} from "@kubernetes/client-node";
import type { Logger } from "pino";
import { apiGroup, apiVersion, kind, Label, plural } from "../api/names.js";
import type { OperatorDefaults } from "./desired.js";
import { type McpServerResource, Reconciler } from "./reconciler.js";
import { WorkQueue } from "./work-queue.js";

export interface ControllerOptions {
  kubeConfig: KubeConfig;
  defaults: OperatorDefaults;
  logger: Logger;
  workers?: number;
  /** Called after each reconcile, for the operator's own metrics. */
  onReconciled?: (result: "ok" | "error", seconds: number) => void;
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
 * Informers on McpServers and on the Deployments and Services the operator manages feed one work queue; workers
 * run the level-based reconcile. An informer that stops on an error is restarted with backoff
 * (client-node relists by itself only on 410 Gone).
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
  });

  for (const verb of ["add", "update", "delete"] as const) {
    mcpInformer.on(verb, (o) => queue.add(keyOf(o)));
    // Drift: someone edited or deleted a managed Deployment or Service; reconcile its owner.
    for (const owned of [deploymentInformer, serviceInformer] as Array<Informer<KubernetesObject>>) {
      owned.on(verb, (o) => {
        const key = ownerKey(o);
        if (key) queue.add(key);
      });
    }
  }

  let stopped = false;
  const listed = new Set<string>();
  const supervise = <T extends KubernetesObject>(name: string, informer: Informer<T>) => {
    let delayMs = 500;
    informer.on("connect", () => {
      listed.add(name);
      delayMs = 500;
    });
    informer.on("error", (error) => {
      if (stopped) return;
      logger.warn({ err: error, informer: name, retryInMs: delayMs }, "informer stopped; restarting");
      setTimeout(() => {
        if (!stopped) informer.start().catch(() => {});
      }, delayMs).unref();
      delayMs = Math.min(delayMs * 2, 30_000);
    });
  };
  supervise("mcpservers", mcpInformer);
  supervise("deployments", deploymentInformer);
  supervise("services", serviceInformer);
  await Promise.all([mcpInformer.start(), deploymentInformer.start(), serviceInformer.start()]);

  const worker = async () => {
    for (let key = await queue.get(); key !== undefined; key = await queue.get()) {
      const started = performance.now();
      try {
        await reconciler.reconcile(key);
        queue.forget(key);
        options.onReconciled?.("ok", (performance.now() - started) / 1000);
      } catch (error) {
        logger.warn({ err: error, key }, "reconcile failed; retrying with backoff");
        options.onReconciled?.("error", (performance.now() - started) / 1000);
        queue.addRateLimited(key);
      } finally {
        queue.done(key);
      }
    }
  };
  const workers = Array.from({ length: options.workers ?? 4 }, () => worker());

  return {
    queue,
    synced: () => listed.size === 3,
    async stop() {
      stopped = true;
      queue.shutDown();
      await Promise.all([mcpInformer.stop(), deploymentInformer.stop(), serviceInformer.stop()]);
      await Promise.allSettled(workers);
    },
  };
}
