import { createServer, type Server } from "node:https";
import type { AddressInfo } from "node:net";
import type { V1Pod } from "@kubernetes/client-node";
import { SpanKind, type Tracer } from "@opentelemetry/api";
import type { Logger } from "pino";
import type { AdmissionResult } from "../telemetry/instruments.js";
import { admissionResponse, readAdmissionReview } from "./admission-review.js";
import { decideInjection, type InjectionSettings, injectionPatch, injectSidecar } from "./injection.js";
import type { NamespaceResourcePolicy } from "./resource-fit.js";

export interface AdmissionServerOptions {
  host: string;
  port: number;
  tls: { certPem: string; keyPem: string };
  settings: InjectionSettings;
  namespaceLabels: (namespace: string) => Promise<Record<string, string>>;
  /** Told when a pod asked for the sidecar but could not get it (an Event is recorded by the caller). */
  onInjectionFailed?: (pod: V1Pod, namespace: string, message: string) => void;
  onAdmission?: (result: AdmissionResult) => void;
  /** Traces one span per admission review when set (tracing configured). */
  tracer?: Tracer | undefined;
  /** The namespace's LimitRanges and ResourceQuotas, which the sidecar's resources must fit. */
  namespacePolicy?: (namespace: string) => Promise<NamespaceResourcePolicy>;
  logger: Logger;
}

export interface AdmissionServer {
  port: number;
  /** Swaps the serving certificate without a restart (rotation). */
  setCertificate(tls: { certPem: string; keyPem: string }): void;
  close(): Promise<void>;
}

export const mutatePodsPath = "/mutate-pods";
const maxBodyBytes = 3 * 1024 * 1024;

/** The HTTPS admission endpoint: wire format in and out here, the decision in injection.ts. */
export async function startAdmissionServer(options: AdmissionServerOptions): Promise<AdmissionServer> {
  const { logger } = options;
  const server: Server = createServer({ cert: options.tls.certPem, key: options.tls.keyPem }, (req, res) => {
    const reply = (status: number, body: object) => {
      res.writeHead(status, { "content-type": "application/json" }).end(JSON.stringify(body));
    };
    if (req.method !== "POST" || req.url?.split("?")[0] !== mutatePodsPath) {
      reply(404, { error: `POST ${mutatePodsPath} only` });
      return;
    }
    const chunks: Buffer[] = [];
    let size = 0;
    req.on("data", (c: Buffer) => {
      size += c.length;
      if (size > maxBodyBytes) req.destroy();
      else chunks.push(c);
    });
    req.on("end", () => {
      handle(Buffer.concat(chunks).toString("utf8")).then(
        ([status, body]) => reply(status, body),
        (error: unknown) => {
          logger.error({ err: error }, "admission handler failed");
          reply(500, { error: "internal error" });
        },
      );
    });
  });

  async function handle(body: string): Promise<[number, object]> {
    const review = readAdmissionReview(body);
    if (!review.ok) return [400, { error: review.error }];
    const { request } = review;
    const pod = request.pod;
    const namespace = request.namespace ?? pod.metadata?.namespace ?? "default";
    if (request.kind.kind !== "Pod" || request.operation !== "CREATE")
      return [200, admissionResponse(request.uid, undefined, [])];
    const span = options.tracer?.startSpan("admit Pod", {
      kind: SpanKind.SERVER,
      attributes: {
        "k8s.namespace.name": namespace,
        "k8s.pod.name": pod.metadata?.name ?? pod.metadata?.generateName ?? "",
      },
    });
    const result = (outcome: AdmissionResult) => {
      options.onAdmission?.(outcome);
      span?.setAttribute("mcpscope.outcome", outcome);
      span?.end();
    };
    let labels: Record<string, string> = {};
    try {
      labels = await options.namespaceLabels(namespace);
    } catch (error) {
      logger.warn({ err: error, namespace }, "could not read namespace labels; deciding on pod annotations alone");
    }
    const decision = decideInjection(pod, labels);
    if (!decision.inject) {
      result("skipped");
      if (decision.warning && !request.dryRun) options.onInjectionFailed?.(pod, namespace, decision.warning);
      return [200, admissionResponse(request.uid, undefined, decision.warning ? [decision.warning] : [])];
    }
    try {
      const policy = (await options.namespacePolicy?.(namespace)) ?? { limitRanges: [], quotas: [] };
      const mutated = injectSidecar(pod, options.settings, policy, namespace);
      result("injected");
      return [200, admissionResponse(request.uid, injectionPatch(pod, mutated), [])];
    } catch (error) {
      const message = `mcpscope: sidecar not injected: ${(error as Error).message}`;
      result("failed");
      // A dry run (kubectl --dry-run=server) must leave no trace: the webhook declares sideEffects None.
      if (!request.dryRun) options.onInjectionFailed?.(pod, namespace, message);
      return [200, admissionResponse(request.uid, undefined, [message])];
    }
  }

  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(options.port, options.host, () => resolve());
  });
  return {
    port: (server.address() as AddressInfo).port,
    setCertificate(tls) {
      server.setSecureContext({ cert: tls.certPem, key: tls.keyPem });
    },
    async close() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
