import { CoreV1Api } from "@kubernetes/client-node";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { type ControlPlane, startControlPlane } from "./harness/control-plane.js";

let cp: ControlPlane;

beforeAll(async () => {
  cp = await startControlPlane(inject("tools"));
}, 120_000);

afterAll(async () => {
  await cp?.stop();
});

describe("the test control plane", () => {
  it("serves the Kubernetes API with RBAC enforced for non-admin users", async () => {
    const admin = cp.adminKubeConfig().makeApiClient(CoreV1Api);
    const namespaces = await admin.listNamespace();
    expect(namespaces.items.map((n) => n.metadata?.name)).toContain("default");
    const nobody = (await cp.kubeConfigFor("nobody")).kubeConfig.makeApiClient(CoreV1Api);
    await expect(nobody.listNamespace()).rejects.toThrow(/403|forbidden/i);
  });

  it("runs the controller-manager: the default ServiceAccount appears in a new namespace", async () => {
    const admin = cp.adminKubeConfig().makeApiClient(CoreV1Api);
    await admin.createNamespace({ body: { metadata: { name: "cp-smoke" } } });
    await expect
      .poll(
        async () =>
          (await admin.listNamespacedServiceAccount({ namespace: "cp-smoke" })).items.map((s) => s.metadata?.name),
        {
          timeout: 30_000,
        },
      )
      .toContain("default");
  });
});
