import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { CoreV1Api, type KubeConfig, type V1Pod, type V1PodSpec, VersionApi } from "@kubernetes/client-node";
import { createLogger, startMetricsPipeline } from "@mcpscope/sidecar/telemetry";
import type { Logger } from "pino";
import { ensureWebhookCertificate } from "./certs/webhook-certificate.js";
import type { OperatorConfig } from "./config.js";
import { type RunningController, startController } from "./controller/controller.js";
import { startHealthServer } from "./health-server.js";
import { type LeaderElector, startLeaderElection } from "./leader/leader-elector.js";
import { type AdmissionServer, startAdmissionServer } from "./webhook/admission-server.js";

export interface RunningOperator {
  isLeader(): boolean;
  webhookPort: number | undefined;
  healthPort: number;
  controller(): RunningController | undefined;
  stop(): Promise<void>;
}

const certificateCheckMs = 12 * 3_600_000;

/** Native sidecars (initContainers with restartPolicy Always) are on by default from Kubernetes 1.29. */
async function supportsNativeSidecars(kc: KubeConfig, setting: OperatorConfig["NATIVE_SIDECARS"]): Promise<boolean> {
  if (setting !== "auto") return setting === "true";
  const version = await kc.makeApiClient(VersionApi).getCode();
  return Number(version.major) > 1 || Number.parseInt(version.minor, 10) >= 29;
}

/** Wires the operator: metrics, health, webhook (every replica), controller (the leader only). */
export async function startOperator(
  config: OperatorConfig,
  kubeConfig: KubeConfig,
  logger: Logger = createLogger(config.LOG_LEVEL, "mcpscope-operator"),
): Promise<RunningOperator> {
  const metrics = startMetricsPipeline({
    serviceName: "mcpscope-operator",
    resourceAttributes: {},
    prometheus: { host: "0.0.0.0", port: config.METRICS_PORT },
    otlpMetricsUrl: undefined,
    exportIntervalMs: 60_000,
  });
  await metrics.ready;
  const meter = metrics.meterProvider.getMeter("mcpscope-operator");
  const reconciles = meter.createCounter("mcpscope_operator_reconciles", { description: "Reconciles by result" });
  const reconcileDuration = meter.createHistogram("mcpscope_operator_reconcile_duration_seconds", {
    description: "Time to reconcile one McpServer",
    unit: "s",
    advice: { explicitBucketBoundaries: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10] },
  });
  const admissions = meter.createCounter("mcpscope_operator_admissions", { description: "Pod admissions by result" });
  let controller: RunningController | undefined;
  let elector: LeaderElector | undefined;
  meter
    .createObservableGauge("mcpscope_operator_queue_depth", { description: "Keys waiting in the work queue" })
    .addCallback((r) => r.observe(controller?.queue.length ?? 0));
  meter
    .createObservableGauge("mcpscope_operator_leader", { description: "1 on the replica that runs the controller" })
    .addCallback((r) => r.observe(elector?.isLeader() || (!config.LEADER_ELECTION && controller) ? 1 : 0));

  const core = kubeConfig.makeApiClient(CoreV1Api);
  let webhook: AdmissionServer | undefined;
  let certificateTimer: NodeJS.Timeout | undefined;
  if (config.WEBHOOK_ENABLED) {
    const serviceHost = `${config.WEBHOOK_SERVICE_NAME}.${config.OPERATOR_NAMESPACE}.svc`;
    const loadCertificate = async () => {
      if (config.WEBHOOK_CERT_MODE === "cert-manager") {
        // cert-manager writes the Secret mounted here and injects the caBundle itself.
        const [certPem, keyPem] = await Promise.all([
          readFile(join(config.WEBHOOK_CERT_DIR, "tls.crt"), "utf8"),
          readFile(join(config.WEBHOOK_CERT_DIR, "tls.key"), "utf8"),
        ]);
        return { certPem, keyPem };
      }
      const certificate = await ensureWebhookCertificate(kubeConfig, {
        namespace: config.OPERATOR_NAMESPACE,
        secretName: config.WEBHOOK_SECRET_NAME,
        webhookConfigurationName: config.WEBHOOK_CONFIGURATION_NAME,
        dnsNames: [serviceHost, `${serviceHost}.cluster.local`],
        ipAddresses: config.WEBHOOK_EXTRA_IPS,
      });
      return certificate.serving;
    };
    const nativeSidecars = await supportsNativeSidecars(kubeConfig, config.NATIVE_SIDECARS);
    const namespaceLabels = new Map<string, { labels: Record<string, string>; at: number }>();
    webhook = await startAdmissionServer({
      host: config.WEBHOOK_HOST,
      port: config.WEBHOOK_PORT,
      tls: await loadCertificate(),
      settings: { sidecarImage: config.SIDECAR_IMAGE, otlpEndpoint: config.OTLP_ENDPOINT, nativeSidecars },
      namespaceLabels: async (namespace) => {
        const cached = namespaceLabels.get(namespace);
        if (cached && Date.now() - cached.at < 30_000) return cached.labels;
        const labels = (await core.readNamespace({ name: namespace })).metadata?.labels ?? {};
        namespaceLabels.set(namespace, { labels, at: Date.now() });
        return labels;
      },
      onAdmission: (result) => admissions.add(1, { result }),
      onInjectionFailed: (pod: V1Pod, namespace: string, message: string) =>
        void recordInjectionFailure(core, pod, namespace, message, logger),
      logger,
    });
    certificateTimer = setInterval(() => {
      loadCertificate().then(
        (tls) => webhook?.setCertificate(tls),
        (error: unknown) => logger.error({ err: error }, "webhook certificate renewal failed"),
      );
    }, certificateCheckMs);
    certificateTimer.unref();
  }

  const startControllerNow = async () => {
    controller = await startController({
      kubeConfig,
      defaults: {
        sidecarImage: config.SIDECAR_IMAGE,
        otlpEndpoint: config.OTLP_ENDPOINT,
        podDefaults: config.MCPSERVER_POD_DEFAULTS as Partial<V1PodSpec> | undefined,
      },
      logger,
      onReconciled: (result, seconds) => {
        reconciles.add(1, { result });
        reconcileDuration.record(seconds, { result });
      },
    });
  };
  const stopControllerNow = async () => {
    const running = controller;
    controller = undefined;
    await running?.stop();
  };
  if (config.CONTROLLER_ENABLED) {
    if (config.LEADER_ELECTION) {
      elector = startLeaderElection({
        kubeConfig,
        namespace: config.OPERATOR_NAMESPACE,
        leaseName: config.LEASE_NAME,
        identity: config.identity,
        leaseDurationSeconds: config.LEASE_DURATION_SECONDS,
        retryPeriodMs: Math.max(200, (config.LEASE_DURATION_SECONDS * 1000) / 5),
        onStartedLeading: startControllerNow,
        onStoppedLeading: stopControllerNow,
        logger,
      });
    } else {
      await startControllerNow();
    }
  }

  // Ready: the webhook serves (every replica); the leader's controller has listed its informers.
  const health = await startHealthServer("0.0.0.0", config.HEALTH_PORT, () =>
    controller ? controller.synced() : true,
  );
  logger.info(
    { identity: config.identity, webhookPort: webhook?.port, leaderElection: config.LEADER_ELECTION },
    "mcpscope operator started",
  );

  return {
    isLeader: () => elector?.isLeader() ?? controller !== undefined,
    webhookPort: webhook?.port,
    healthPort: health.port,
    controller: () => controller,
    async stop() {
      clearInterval(certificateTimer);
      await elector?.stop();
      await stopControllerNow();
      await webhook?.close();
      await health.close();
      await metrics.shutdown();
    },
  };
}

/** A Warning Event on the pod's owner (the pod itself has no name yet for generateName pods). */
async function recordInjectionFailure(
  core: CoreV1Api,
  pod: V1Pod,
  namespace: string,
  message: string,
  logger: Logger,
): Promise<void> {
  const owner = pod.metadata?.ownerReferences?.[0];
  const involved = owner
    ? { apiVersion: owner.apiVersion, kind: owner.kind, name: owner.name, uid: owner.uid, namespace }
    : { apiVersion: "v1", kind: "Pod", name: pod.metadata?.name ?? pod.metadata?.generateName ?? "unknown", namespace };
  const now = new Date();
  try {
    await core.createNamespacedEvent({
      namespace,
      body: {
        metadata: { generateName: "mcpscope-injection.", namespace },
        involvedObject: involved,
        type: "Warning",
        reason: "SidecarInjectionFailed",
        message,
        source: { component: "mcpscope-webhook" },
        firstTimestamp: now,
        lastTimestamp: now,
        count: 1,
      },
    });
  } catch (error) {
    logger.warn({ err: error }, "could not record the injection failure event");
  }
}
