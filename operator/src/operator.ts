import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { CoreV1Api, type KubeConfig, type V1Pod, type V1PodSpec, VersionApi } from "@kubernetes/client-node";
import { mcpscopeVersion } from "@mcpscope/sidecar/constants";
import { createLogger, startMetricsPipeline, startTracing, tracingEnabled } from "@mcpscope/sidecar/telemetry";
import type { Logger } from "pino";
import { Reason } from "./api/reasons.js";
import { ensureWebhookCertificate } from "./certs/webhook-certificate.js";
import type { OperatorConfig } from "./config.js";
import { type RunningController, startController } from "./controller/controller.js";
import { recordWarning, type WarningEvent } from "./events.js";
import { startHealthServer } from "./health-server.js";
import { type LeaderElector, startLeaderElection } from "./leader/leader-elector.js";
import { createOperatorInstruments } from "./telemetry/instruments.js";
import { type AdmissionServer, startAdmissionServer } from "./webhook/admission-server.js";
import { cachedNamespaceLabels } from "./webhook/namespace-labels.js";
import { type WatchedNamespacePolicies, watchNamespacePolicies } from "./webhook/namespace-policy.js";

export interface RunningOperator {
  isLeader(): boolean;
  webhookPort: number | undefined;
  healthPort: number;
  controller(): RunningController | undefined;
  stop(): Promise<void>;
}

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
  const metrics = await startMetricsPipeline({
    serviceName: "mcpscope-operator",
    resourceAttributes: {},
    prometheus: { host: "0.0.0.0", port: config.METRICS_PORT },
    otlpMetricsUrl: undefined,
    exportIntervalMs: 60_000,
  });
  await metrics.ready;
  // Spans for reconciles and admissions, off unless an OTLP endpoint (or exporter) is configured.
  const tracing = tracingEnabled(config)
    ? await startTracing({ serviceName: "mcpscope-operator", resourceAttributes: {}, version: mcpscopeVersion })
    : undefined;
  let controller: RunningController | undefined;
  let elector: LeaderElector | undefined;
  const instruments = createOperatorInstruments(metrics.meterProvider.getMeter("mcpscope-operator"), {
    queueDepth: () => controller?.queue.length ?? 0,
    isLeader: () => Boolean(elector?.isLeader() || (!config.LEADER_ELECTION && controller)),
  });

  const core = kubeConfig.makeApiClient(CoreV1Api);
  let webhook: AdmissionServer | undefined;
  let namespacePolicies: WatchedNamespacePolicies | undefined;
  let certificateTimer: NodeJS.Timeout | undefined;
  /** The last certificate check succeeded: the served certificate is the current one. */
  let certificateCurrent = !config.WEBHOOK_ENABLED;
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
    namespacePolicies = await watchNamespacePolicies(kubeConfig, logger);
    webhook = await startAdmissionServer({
      host: config.WEBHOOK_HOST,
      port: config.WEBHOOK_PORT,
      tls: await loadCertificate(),
      settings: {
        sidecarImage: config.SIDECAR_IMAGE,
        otlpEndpoint: config.OTLP_ENDPOINT,
        sloDefaults: config.sloDefaults,
        nativeSidecars,
        sidecarResources: config.SIDECAR_RESOURCES,
      },
      namespacePolicy: namespacePolicies.policy,
      namespaceLabels: cachedNamespaceLabels(core),
      onAdmission: (result) => instruments.admitted(result),
      tracer: tracing?.tracer,
      onInjectionFailed: (pod: V1Pod, namespace: string, message: string) =>
        void recordWarning(core, injectionFailureEvent(pod, namespace, message), logger),
      logger,
    });
    certificateCurrent = true;
    certificateTimer = setInterval(() => {
      loadCertificate().then(
        (tls) => {
          webhook?.setCertificate(tls);
          certificateCurrent = true;
        },
        (error: unknown) => {
          certificateCurrent = false;
          logger.error({ err: error }, "webhook certificate check failed; not ready until it succeeds");
        },
      );
    }, config.WEBHOOK_CERT_CHECK_SECONDS * 1000);
    certificateTimer.unref();
  }

  const startControllerNow = async () => {
    controller = await startController({
      kubeConfig,
      defaults: {
        sidecarImage: config.SIDECAR_IMAGE,
        otlpEndpoint: config.OTLP_ENDPOINT,
        sloDefaults: config.sloDefaults,
        podDefaults: config.MCPSERVER_POD_DEFAULTS as Partial<V1PodSpec> | undefined,
      },
      logger,
      onReconciled: (result, seconds) => instruments.reconciled(result, seconds),
      // A leader that could not renew in time reconciles nothing more, even before it is told to stop.
      leading: () => !elector || elector.isLeader(),
      tracer: tracing?.tracer,
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
        onStartedLeading: startControllerNow,
        onStoppedLeading: stopControllerNow,
        logger,
      });
    } else {
      await startControllerNow();
    }
  }

  // Ready: the webhook serves (every replica); the leader's controller has listed its informers.
  const health = await startHealthServer(
    "0.0.0.0",
    config.HEALTH_PORT,
    () => certificateCurrent && (controller ? controller.synced() : true),
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
      await namespacePolicies?.stop();
      await health.close();
      await tracing?.shutdown();
      await metrics.shutdown();
    },
  };
}

/** The Warning Event for a pod the webhook could not inject: on its owner (a generateName pod has no name yet). */
function injectionFailureEvent(pod: V1Pod, namespace: string, message: string): WarningEvent {
  const owner = pod.metadata?.ownerReferences?.[0];
  const involvedObject = owner
    ? { apiVersion: owner.apiVersion, kind: owner.kind, name: owner.name, uid: owner.uid, namespace }
    : { apiVersion: "v1", kind: "Pod", name: pod.metadata?.name ?? pod.metadata?.generateName ?? "unknown", namespace };
  return { namespace, involvedObject, reason: Reason.sidecarInjectionFailed, message, component: "mcpscope-webhook" };
}
