import type { V1MutatingWebhookConfiguration } from "@kubernetes/client-node";
import { mutatePodsPath } from "./admission-server.js";

export interface WebhookConfigurationParams {
  name: string;
  /** In-cluster Service, or a URL (a webhook served outside the cluster, as in the tests). */
  target: { service: { name: string; namespace: string; port: number } } | { url: string };
  caBundlePem?: string;
  /** Namespaces never mutated: kube-system and the operator's own. */
  excludedNamespaces: string[];
  timeoutSeconds?: number;
}

/** The MutatingWebhookConfiguration for pod injection: fail-open, short time-out, system namespaces skipped. */
export function buildWebhookConfiguration(params: WebhookConfigurationParams): V1MutatingWebhookConfiguration {
  const clientConfig =
    "url" in params.target
      ? { url: `${params.target.url}${mutatePodsPath}` }
      : { service: { ...params.target.service, path: mutatePodsPath } };
  return {
    apiVersion: "admissionregistration.k8s.io/v1",
    kind: "MutatingWebhookConfiguration",
    metadata: {
      name: params.name,
      labels: { "app.kubernetes.io/name": "mcpscope", "app.kubernetes.io/component": "webhook" },
    },
    webhooks: [
      {
        name: "inject.mcpscope.dev",
        admissionReviewVersions: ["v1"],
        sideEffects: "None",
        failurePolicy: "Ignore",
        timeoutSeconds: params.timeoutSeconds ?? 5,
        reinvocationPolicy: "IfNeeded",
        clientConfig: {
          ...clientConfig,
          ...(params.caBundlePem ? { caBundle: Buffer.from(params.caBundlePem).toString("base64") } : {}),
        },
        rules: [
          { apiGroups: [""], apiVersions: ["v1"], operations: ["CREATE"], resources: ["pods"], scope: "Namespaced" },
        ],
        namespaceSelector: {
          matchExpressions: [
            { key: "kubernetes.io/metadata.name", operator: "NotIn", values: params.excludedNamespaces },
          ],
        },
      },
    ],
  };
}
