import { type ChildProcess, spawn } from "node:child_process";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";
import { CoreV1Api, RbacAuthorizationV1Api } from "@kubernetes/client-node";
import { buildOperatorRbac } from "@mcpscope/operator";
import { freePort, stopProcess } from "@mcpscope/sidecar/testing";
import type { ControlPlane } from "./control-plane.js";

const crdsDir = fileURLToPath(new URL("../../../crds/", import.meta.url));
const operatorMain = fileURLToPath(new URL("../../../operator/dist/main.js", import.meta.url));
export const operatorNamespace = "mcpscope-system";
export const operatorLease = "mcpscope-operator";

/** Installs the McpServer CRD (crds/) and waits until the API server serves it. */
export async function installMcpServerCrd(
  kubectl: (args: string[]) => Promise<{ code: number; stderr: string }>,
): Promise<void> {
  for (const args of [
    ["apply", "-f", crdsDir],
    ["wait", "--for=condition=Established", "crd/mcpservers.mcpscope.dev", "--timeout=30s"],
  ]) {
    const result = await kubectl(args);
    if (result.code !== 0) throw new Error(`kubectl ${args.join(" ")} failed: ${result.stderr}`);
  }
}

/**
 * Creates the operator's namespace and its least-privilege RBAC (the chart's, see operator/src/rbac.ts)
 * for a user of that name; returns the path of a kubeconfig for that user.
 */
export async function grantOperatorRbac(cp: ControlPlane, user = "mcpscope-operator"): Promise<string> {
  const admin = cp.adminKubeConfig();
  await admin.makeApiClient(CoreV1Api).createNamespace({ body: { metadata: { name: operatorNamespace } } });
  const rbac = buildOperatorRbac({
    name: user,
    namespace: operatorNamespace,
    webhookConfigurationName: "mcpscope-webhook",
    leaseName: operatorLease,
    webhookSecretName: "mcpscope-webhook-tls",
  });
  const subjects = [{ kind: "User", name: user, apiGroup: "rbac.authorization.k8s.io" }];
  const rbacApi = admin.makeApiClient(RbacAuthorizationV1Api);
  await rbacApi.createClusterRole({ body: rbac.clusterRole });
  await rbacApi.createNamespacedRole({ namespace: operatorNamespace, body: rbac.role });
  const roleRef = (kind: string) => ({ apiGroup: "rbac.authorization.k8s.io", kind, name: user });
  await rbacApi.createClusterRoleBinding({
    body: { metadata: { name: user }, roleRef: roleRef("ClusterRole"), subjects },
  });
  await rbacApi.createNamespacedRoleBinding({
    namespace: operatorNamespace,
    body: { metadata: { name: user }, roleRef: roleRef("Role"), subjects },
  });
  return (await cp.kubeConfigFor(user)).path;
}

export interface OperatorProcess {
  name: string;
  child: ChildProcess;
  healthPort: number;
  metricsPort: number;
  /** Every JSON log line the operator wrote to stdout so far. */
  logs: Array<Record<string, unknown>>;
  stop(): Promise<void>;
}

/** `node operator/dist/main.js` as a replica named `name`, logging JSON at `LOG_LEVEL` (default debug). */
export async function startOperatorProcess(
  kubeconfigPath: string,
  name: string,
  env: Record<string, string> = {},
): Promise<OperatorProcess> {
  const [healthPort, metricsPort] = [await freePort(), await freePort()];
  const child = spawn(process.execPath, [operatorMain], {
    env: {
      PATH: process.env.PATH ?? "",
      KUBECONFIG: kubeconfigPath,
      POD_NAME: name,
      OPERATOR_NAMESPACE: operatorNamespace,
      WEBHOOK_ENABLED: "false",
      HEALTH_PORT: String(healthPort),
      METRICS_PORT: String(metricsPort),
      LOG_LEVEL: "debug",
      ...env,
    },
    stdio: ["ignore", "pipe", "inherit"],
  });
  const logs: Array<Record<string, unknown>> = [];
  if (child.stdout)
    createInterface(child.stdout).on("line", (line) => {
      try {
        logs.push(JSON.parse(line) as Record<string, unknown>);
      } catch {
        logs.push({ msg: line });
      }
    });
  const operator = { name, child, healthPort, metricsPort, logs, stop: () => stopProcess(child) };
  const deadline = Date.now() + 30_000;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`operator ${name} exited with ${child.exitCode}`);
    const status = await fetch(`http://127.0.0.1:${healthPort}/healthz`).then(
      (r) => r.status,
      () => 0,
    );
    if (status === 200) return operator;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  await operator.stop();
  throw new Error(`operator ${name} not healthy within 30 s`);
}

/** One reconcile as the operator logged it (wall-clock milliseconds). */
export interface LoggedReconcile {
  replica: string;
  key: string;
  startedAt: number;
  endedAt: number;
}

export function reconcilesOf(operator: OperatorProcess): LoggedReconcile[] {
  return operator.logs
    .filter((l) => typeof l.startedAt === "number" && typeof l.endedAt === "number" && typeof l.key === "string")
    .map((l) => ({
      replica: operator.name,
      key: l.key as string,
      startedAt: l.startedAt as number,
      endedAt: l.endedAt as number,
    }));
}

/** Pairs of reconciles by different replicas whose times overlap (both reconciling at once). */
export function overlappingReconciles(reconciles: LoggedReconcile[]): Array<[LoggedReconcile, LoggedReconcile]> {
  const sorted = [...reconciles].sort((a, b) => a.startedAt - b.startedAt);
  const overlaps: Array<[LoggedReconcile, LoggedReconcile]> = [];
  for (const [i, a] of sorted.entries())
    for (const b of sorted.slice(i + 1)) {
      if (b.startedAt > a.endedAt) break;
      if (b.replica !== a.replica) overlaps.push([a, b]);
    }
  return overlaps;
}
