import type { V1ClusterRole, V1PolicyRule, V1Role } from "@kubernetes/client-node";
import { apiGroup, plural } from "./api/names.js";

/** Cluster-wide: what the controller and the webhook read and write in every namespace. */
export const operatorClusterRules: V1PolicyRule[] = [
  { apiGroups: [apiGroup], resources: [plural], verbs: ["get", "list", "watch"] },
  // Status is written by merge patch only.
  { apiGroups: [apiGroup], resources: [`${plural}/status`], verbs: ["patch"] },
  { apiGroups: ["apps"], resources: ["deployments"], verbs: ["get", "list", "watch", "create", "patch", "update"] },
  { apiGroups: [""], resources: ["services"], verbs: ["get", "list", "watch", "create", "patch", "update"] },
  // Autoscaling McpServers: the operator applies their HorizontalPodAutoscaler, and deletes it (its own
  // only, checked by owner) when spec.autoscaling is removed — garbage collection cannot see that.
  {
    apiGroups: ["autoscaling"],
    resources: ["horizontalpodautoscalers"],
    verbs: ["get", "list", "watch", "create", "patch", "update", "delete"],
  },
  { apiGroups: [""], resources: ["events"], verbs: ["create", "patch"] },
  // The webhook reads a pod's namespace labels (the namespace-wide opt-in), one namespace at a time,
  // and its LimitRanges and ResourceQuotas (kept by informers), so that an injected pod is still admitted.
  { apiGroups: [""], resources: ["namespaces"], verbs: ["get"] },
  { apiGroups: [""], resources: ["limitranges", "resourcequotas"], verbs: ["list", "watch"] },
];

/** The webhook configuration whose caBundle the operator keeps current: that one object only. */
export function webhookConfigurationRules(webhookConfigurationName: string): V1PolicyRule[] {
  return [
    {
      apiGroups: ["admissionregistration.k8s.io"],
      resources: ["mutatingwebhookconfigurations"],
      resourceNames: [webhookConfigurationName],
      verbs: ["get", "patch", "update"],
    },
  ];
}

/**
 * In the operator's own namespace only: its leader-election Lease and its webhook certificate Secret,
 * by name (create cannot be limited by name in RBAC: it is granted alone).
 */
export function operatorNamespaceRules(leaseName: string, secretName: string): V1PolicyRule[] {
  return [
    { apiGroups: ["coordination.k8s.io"], resources: ["leases"], verbs: ["create"] },
    { apiGroups: ["coordination.k8s.io"], resources: ["leases"], resourceNames: [leaseName], verbs: ["get", "update"] },
    { apiGroups: [""], resources: ["secrets"], verbs: ["create"] },
    { apiGroups: [""], resources: ["secrets"], resourceNames: [secretName], verbs: ["get", "update"] },
  ];
}

/**
 * Least-privilege RBAC for the operator (owned objects go by garbage collection; the one delete is of
 * an autoscaler whose McpServer stopped asking for one).
 */
export function buildOperatorRbac(params: {
  name: string;
  namespace: string;
  webhookConfigurationName: string;
  leaseName: string;
  webhookSecretName: string;
}): {
  clusterRole: V1ClusterRole;
  role: V1Role;
} {
  const labels = { "app.kubernetes.io/name": "mcpscope", "app.kubernetes.io/component": "operator" };
  return {
    clusterRole: {
      apiVersion: "rbac.authorization.k8s.io/v1",
      kind: "ClusterRole",
      metadata: { name: params.name, labels },
      rules: [...operatorClusterRules, ...webhookConfigurationRules(params.webhookConfigurationName)],
    },
    role: {
      apiVersion: "rbac.authorization.k8s.io/v1",
      kind: "Role",
      metadata: { name: params.name, namespace: params.namespace, labels },
      rules: operatorNamespaceRules(params.leaseName, params.webhookSecretName),
    },
  };
}
