import { fileURLToPath } from "node:url";
import { AppsV1Api, CoreV1Api, CustomObjectsApi, type V1Pod } from "@kubernetes/client-node";
import { type RunningController, startController } from "@mcpscope/operator";
import { pino } from "pino";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { type ControlPlane, startControlPlane } from "./harness/control-plane.js";
import { helmTemplate, parseObjects } from "./harness/helm.js";
import { kubectlWith } from "./harness/programs.js";

// McpServers written by a tenant who may create McpServers and nothing else, in namespaces that
// enforce the restricted Pod Security Standard or hold a quota — on a real API server with the
// controller-manager, the chart's admission policy and the operator's controller.

const crdsDir = fileURLToPath(new URL("../../crds/", import.meta.url));
const tenantNamespace = "tenant-a";
let cp: ControlPlane;
let controller: RunningController;
let tenantKubeconfig: string;

const admin = kubectlWith(
  () => inject("tools").KUBECTL,
  () => cp.kubeconfigPath,
);
const tenant = kubectlWith(
  () => inject("tools").KUBECTL,
  () => tenantKubeconfig,
);

async function ok(result: Promise<{ code: number; stdout: string; stderr: string }>): Promise<string> {
  const done = await result;
  if (done.code !== 0) throw new Error(`kubectl failed (${done.code}): ${done.stderr}`);
  return done.stdout;
}

const mcpServer = (name: string, spec: object, namespace = tenantNamespace) =>
  JSON.stringify({ apiVersion: "mcpscope.dev/v1alpha1", kind: "McpServer", metadata: { name, namespace }, spec });

const server = { image: "mcp/everything:1", command: ["mcp-server-everything", "streamableHttp"], port: 3001 };

beforeAll(async () => {
  cp = await startControlPlane(inject("tools"));
  await ok(admin(["apply", "-f", crdsDir]));
  await ok(admin(["wait", "--for=condition=Established", "crd/mcpservers.mcpscope.dev", "--timeout=30s"]));
  // The chart's admission policy, exactly as rendered.
  const rendered = parseObjects((await helmTemplate(inject("tools").HELM)).stdout).filter((o) =>
    o.kind.startsWith("ValidatingAdmissionPolicy"),
  );
  expect(rendered.map((o) => o.kind).sort()).toEqual(["ValidatingAdmissionPolicy", "ValidatingAdmissionPolicyBinding"]);
  await ok(admin(["apply", "-f", "-"], JSON.stringify({ apiVersion: "v1", kind: "List", items: rendered })));
  // A tenant who may manage McpServers in tenant-a, read one Secret there, and nothing else.
  await ok(admin(["create", "namespace", tenantNamespace]));
  await ok(
    admin(
      ["apply", "-f", "-"],
      JSON.stringify({
        apiVersion: "v1",
        kind: "List",
        items: [
          {
            apiVersion: "rbac.authorization.k8s.io/v1",
            kind: "Role",
            metadata: { name: "mcpserver-author", namespace: tenantNamespace },
            rules: [
              {
                apiGroups: ["mcpscope.dev"],
                resources: ["mcpservers"],
                verbs: ["get", "list", "create", "update", "patch"],
              },
              { apiGroups: [""], resources: ["secrets"], resourceNames: ["tenant-token"], verbs: ["get"] },
            ],
          },
          {
            apiVersion: "rbac.authorization.k8s.io/v1",
            kind: "RoleBinding",
            metadata: { name: "mcpserver-author", namespace: tenantNamespace },
            roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "Role", name: "mcpserver-author" },
            subjects: [{ apiGroup: "rbac.authorization.k8s.io", kind: "User", name: "tenant" }],
          },
        ],
      }),
    ),
  );
  tenantKubeconfig = (await cp.kubeConfigFor("tenant")).path;
  controller = await startController({
    kubeConfig: cp.adminKubeConfig(),
    defaults: { sidecarImage: "ghcr.io/mcpscope/sidecar:test" },
    logger: pino({ level: "silent" }),
  });
}, 120_000);

afterAll(async () => {
  await controller?.stop();
  await cp?.stop();
});

describe("an McpServer is no way around what its author may do", () => {
  it("refuses host namespaces, node pinning, another ServiceAccount and init containers in the pod template", async () => {
    const refused = await tenant(
      ["apply", "-f", "-"],
      mcpServer("escalate", {
        server,
        podTemplate: {
          spec: {
            hostPID: true,
            hostNetwork: true,
            nodeName: "node-1",
            serviceAccountName: "admin",
            initContainers: [{ name: "root", image: "busybox", securityContext: { privileged: true } }],
          },
        },
      }),
    );
    expect(refused.code).not.toBe(0);
    for (const field of ["hostPID", "hostNetwork", "nodeName", "serviceAccountName", "initContainers"])
      expect(refused.stderr).toContain(`unknown field "spec.podTemplate.spec.${field}"`);
  });

  it("refuses a hostPath volume, naming the volume types an McpServer may use", async () => {
    const refused = await tenant(
      ["apply", "--validate=false", "-f", "-"],
      mcpServer("hostpath", {
        server,
        podTemplate: { spec: { volumes: [{ name: "root", hostPath: { path: "/" } }] } },
      }),
    );
    expect(refused.code).not.toBe(0);
    expect(refused.stderr).toContain("each volume needs exactly one source, of configMap, secret, emptyDir");
  });

  it("never copies a field the schema does not allow, even from a client that skips validation", async () => {
    await ok(
      tenant(
        ["apply", "--validate=false", "-f", "-"],
        mcpServer("pruned", { server, podTemplate: { spec: { hostPID: true, nodeSelector: { pool: "mcp" } } } }),
      ),
    );
    const apps = cp.adminKubeConfig().makeApiClient(AppsV1Api);
    await expect
      .poll(
        () => apps.readNamespacedDeployment({ name: "pruned", namespace: tenantNamespace }).catch(() => undefined),
        {
          timeout: 15_000,
        },
      )
      .toBeDefined();
    const pod = (await apps.readNamespacedDeployment({ name: "pruned", namespace: tenantNamespace })).spec?.template
      .spec;
    expect(pod?.hostPID).toBeUndefined();
    expect(pod?.nodeSelector).toEqual({ pool: "mcp" });
  });

  it("refuses a root or capability-adding server container", async () => {
    for (const securityContext of [{ runAsUser: 0 }, { capabilities: { add: ["SYS_ADMIN"] } }, { privileged: true }]) {
      const refused = await tenant(["apply", "-f", "-"], mcpServer("root", { server: { ...server, securityContext } }));
      expect({ securityContext, refused: refused.code !== 0 }).toEqual({ securityContext, refused: true });
    }
  });

  it("refuses a Secret its author may not read, and takes one it may", async () => {
    const withSecret = (name: string, secret: string) =>
      mcpServer(name, {
        server: {
          ...server,
          env: [{ name: "TOKEN", valueFrom: { secretKeyRef: { name: secret, key: "token" } } }],
        },
      });
    const refused = await tenant(["apply", "-f", "-"], withSecret("steal", "cluster-admin-token"));
    expect(refused.code).not.toBe(0);
    expect(refused.stderr).toContain(
      "this McpServer names a Secret that tenant may not get in namespace tenant-a: an McpServer may use only Secrets its author can read",
    );
    await ok(tenant(["apply", "-f", "-"], withSecret("allowed", "tenant-token")));
    const volume = mcpServer("via-volume", {
      server,
      podTemplate: { spec: { volumes: [{ name: "s", secret: { secretName: "cluster-admin-token" } }] } },
    });
    expect((await tenant(["apply", "-f", "-"], volume)).code).not.toBe(0);
    // A cluster admin may name it.
    await ok(admin(["apply", "-f", "-"], withSecret("by-admin", "cluster-admin-token")));
  });
});

describe("namespaces that enforce restricted Pod Security or hold a quota", () => {
  it("gets pods admitted under pod-security.kubernetes.io/enforce=restricted", async () => {
    await ok(admin(["create", "namespace", "strict"]));
    await ok(admin(["label", "namespace", "strict", "pod-security.kubernetes.io/enforce=restricted"]));
    await ok(admin(["apply", "-f", "-"], mcpServer("weather", { server }, "strict")));
    await ok(admin(["apply", "-f", "-"], mcpServer("notes", { server: { ...server, transport: "stdio" } }, "strict")));
    const core = cp.adminKubeConfig().makeApiClient(CoreV1Api);
    const podsOf = async (instance: string): Promise<V1Pod[]> =>
      (await core.listNamespacedPod({ namespace: "strict", labelSelector: `app.kubernetes.io/instance=${instance}` }))
        .items;
    for (const instance of ["weather", "notes"]) {
      await expect.poll(async () => (await podsOf(instance)).length, { timeout: 30_000 }).toBe(1);
      const [pod] = await podsOf(instance);
      for (const container of pod?.spec?.containers ?? []) {
        expect(container.securityContext).toMatchObject({
          runAsNonRoot: true,
          allowPrivilegeEscalation: false,
          capabilities: { drop: ["ALL"] },
          seccompProfile: { type: "RuntimeDefault" },
        });
      }
    }
  });

  it("surfaces pods the ReplicaSet may not create (FailedCreate) in the McpServer's conditions", async () => {
    await ok(admin(["create", "namespace", "full"]));
    await ok(admin(["create", "quota", "no-pods", "--hard=pods=0", "-n", "full"]));
    await ok(admin(["apply", "-f", "-"], mcpServer("blocked", { server }, "full")));
    const custom = cp.adminKubeConfig().makeApiClient(CustomObjectsApi);
    const conditionsOf = async () =>
      (
        (await custom.getNamespacedCustomObject({
          group: "mcpscope.dev",
          version: "v1alpha1",
          namespace: "full",
          plural: "mcpservers",
          name: "blocked",
        })) as { status?: { conditions?: Array<{ type: string; status: string; reason: string; message: string }> } }
      ).status?.conditions ?? [];
    await expect
      .poll(async () => (await conditionsOf()).find((c) => c.type === "Degraded")?.reason, { timeout: 45_000 })
      .toBe("PodsNotCreated");
    const degraded = (await conditionsOf()).find((c) => c.type === "Degraded");
    expect(degraded).toMatchObject({ status: "True" });
    expect(degraded?.message).toContain("exceeded quota: no-pods");
  });
});
