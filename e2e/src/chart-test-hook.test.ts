import { readFile } from "node:fs/promises";
import { join } from "node:path";
import type { V1Container, V1Pod } from "@kubernetes/client-node";
import { describe, expect, inject, it } from "vitest";
import { chartDir, findObject, helmTemplate, type KubeObject, parseObjects } from "./harness/helm.js";

const render = async (set: Record<string, string> = {}) => {
  const rendered = await helmTemplate(inject("tools").HELM, { includeTests: true, set });
  expect(rendered.stderr).toBe("");
  return parseObjects(rendered.stdout);
};
const testPod = (objects: KubeObject[]) => findObject(objects, "Pod", "mcpscope-test") as KubeObject & V1Pod;
const envOf = (container: V1Container | undefined) =>
  Object.fromEntries((container?.env ?? []).map((e) => [e.name, e.value ?? e.valueFrom?.fieldRef?.fieldPath]));

describe("the chart's helm test hook", () => {
  it("is a ConfigMap and a Pod that only `helm test` creates, deleted when it passes", async () => {
    const hooks = (await render()).filter((o) => (o.metadata.annotations as Record<string, string>)?.["helm.sh/hook"]);
    expect(hooks.map((o) => `${o.kind}/${o.metadata.name}`)).toEqual(["ConfigMap/mcpscope-test", "Pod/mcpscope-test"]);
    for (const hook of hooks) {
      expect(hook.metadata.annotations).toMatchObject({
        "helm.sh/hook": "test",
        "helm.sh/hook-delete-policy": "before-hook-creation,hook-succeeded",
      });
    }
    // `helm install` (and manifests/) never apply it.
    const installed = parseObjects((await helmTemplate(inject("tools").HELM)).stdout);
    expect(installed.filter((o) => o.metadata.name === "mcpscope-test")).toEqual([]);
  });

  it("runs the check and a native sidecar in front of the echo server, from the sidecar image alone, restricted", async () => {
    const objects = await render();
    const configMap = findObject(objects, "ConfigMap", "mcpscope-test") as KubeObject & {
      data: Record<string, string>;
    };
    for (const file of ["check-installation.mjs", "echo-server.mjs"]) {
      expect(configMap.data[file]).toBe(await readFile(join(chartDir, "files/helm-test", file), "utf8"));
    }
    const pod = testPod(objects);
    const spec = pod.spec;
    const [sidecar] = spec?.initContainers ?? [];
    const [check] = spec?.containers ?? [];
    expect(spec?.restartPolicy).toBe("Never");
    expect(spec?.securityContext).toMatchObject({ runAsNonRoot: true, seccompProfile: { type: "RuntimeDefault" } });
    for (const container of [sidecar, check]) {
      expect(container?.image).toBe("ghcr.io/mcpscope/sidecar:0.1.0");
      expect(container?.securityContext).toMatchObject({
        allowPrivilegeEscalation: false,
        readOnlyRootFilesystem: true,
        capabilities: { drop: ["ALL"] },
      });
    }
    expect(sidecar?.restartPolicy).toBe("Always");
    expect(envOf(sidecar)).toMatchObject({
      MCP_UPSTREAM_NAME: "helm-test-$(POD_UID)",
      MCP_UPSTREAM_COMMAND: "node /app/helm-test/echo-server.mjs",
      OTEL_EXPORTER_OTLP_ENDPOINT: "http://mcpscope-collector.mcpscope-system.svc:4318",
    });
    expect(check?.command).toEqual(["node", "/app/helm-test/check-installation.mjs"]);
    expect(envOf(check)).toMatchObject({
      WEBHOOK_HOST: "mcpscope-webhook.mcpscope-system.svc",
      SERVER_NAME: "helm-test-$(POD_UID)",
      PROMETHEUS_URL: "http://mcpscope-prometheus.mcpscope-system.svc:9090",
    });
    expect(spec?.volumes).toContainEqual({
      name: "webhook-ca",
      secret: { secretName: "mcpscope-webhook-tls", items: [{ key: "ca.crt", path: "ca.crt" }] },
    });
  });

  it("checks only what is installed: the webhook alone without Prometheus, nothing without either", async () => {
    const webhookOnly = testPod(await render({ "prometheus.enabled": "false" }));
    expect(webhookOnly.spec?.initContainers).toBeUndefined();
    expect(Object.keys(envOf(webhookOnly.spec?.containers[0]))).toEqual(["POD_NAMESPACE", "WEBHOOK_HOST"]);
    const metricsOnly = testPod(await render({ "webhook.enabled": "false" }));
    expect(Object.keys(envOf(metricsOnly.spec?.containers[0]))).not.toContain("WEBHOOK_HOST");
    expect(metricsOnly.spec?.volumes?.map((v) => v.name)).toEqual(["scripts", "tmp"]);
    const neither = await render({ "webhook.enabled": "false", "collector.enabled": "false" });
    expect(neither.filter((o) => o.metadata.name === "mcpscope-test")).toEqual([]);
  });
});
