import type { KubernetesObject, V1ManagedFieldsEntry } from "@kubernetes/client-node";
import { describe, expect, it } from "vitest";
import { foreignFieldRemovals } from "./foreign-fields.js";

const port3001 = 'k:{"containerPort":3001,"protocol":"TCP"}';
const server = 'k:{"name":"mcp-server"}';

const ours: V1ManagedFieldsEntry = {
  manager: "mcpscope-operator",
  operation: "Apply",
  fieldsV1: {
    "f:spec": {
      "f:replicas": {},
      "f:template": {
        "f:spec": {
          "f:containers": {
            [server]: {
              ".": {},
              "f:image": {},
              "f:name": {},
              "f:ports": { [port3001]: { ".": {}, "f:containerPort": {}, "f:name": {}, "f:protocol": {} } },
            },
          },
          "f:securityContext": { "f:runAsNonRoot": {} },
        },
      },
    },
  },
};
const controllerManagerStatus: V1ManagedFieldsEntry = {
  manager: "kube-controller-manager",
  operation: "Update",
  subresource: "status",
  fieldsV1: { "f:status": { "f:replicas": {} } },
};

function deployment(podSpec: Record<string, unknown>, managedFields: V1ManagedFieldsEntry[]): KubernetesObject {
  return {
    apiVersion: "apps/v1",
    kind: "Deployment",
    metadata: { name: "w", namespace: "d", resourceVersion: "42", managedFields },
    spec: { replicas: 1, template: { spec: podSpec } },
  } as KubernetesObject;
}

const serverContainer = (extra: Record<string, unknown> = {}) => ({
  name: "mcp-server",
  image: "node:24-slim",
  ports: [{ name: "upstream", containerPort: 3001, protocol: "TCP", ...extra }],
});

describe("foreignFieldRemovals", () => {
  it("removes a hostNetwork that kubectl patch added, and the hostPort defaulted with it", () => {
    const kubectlPatch: V1ManagedFieldsEntry = {
      manager: "kubectl-patch",
      operation: "Update",
      fieldsV1: {
        "f:spec": {
          "f:template": {
            "f:spec": {
              "f:containers": { [server]: { "f:ports": { [port3001]: { "f:hostPort": {} } } } },
              "f:hostNetwork": {},
            },
          },
        },
      },
    };
    const live = deployment(
      { hostNetwork: true, containers: [serverContainer({ hostPort: 3001 })], securityContext: { runAsNonRoot: true } },
      [ours, kubectlPatch, controllerManagerStatus],
    );
    expect(foreignFieldRemovals(live, "mcpscope-operator", ["spec", "template", "spec"])).toEqual([
      { op: "test", path: "/metadata/resourceVersion", value: "42" },
      { op: "remove", path: "/spec/template/spec/hostNetwork" },
      { op: "remove", path: "/spec/template/spec/containers/0/ports/0/hostPort" },
    ]);
  });

  it("removes containers another manager added whole, the later index first", () => {
    const adder: V1ManagedFieldsEntry = {
      manager: "someone",
      operation: "Update",
      fieldsV1: {
        "f:spec": {
          "f:template": {
            "f:spec": {
              "f:containers": {
                'k:{"name":"extra-a"}': { ".": {}, "f:image": {}, "f:name": {} },
                'k:{"name":"extra-b"}': { ".": {}, "f:image": {}, "f:name": {} },
              },
            },
          },
        },
      },
    };
    const live = deployment(
      {
        containers: [serverContainer(), { name: "extra-a", image: "x" }, { name: "extra-b", image: "y" }],
        securityContext: { runAsNonRoot: true },
      },
      [ours, adder],
    );
    expect(foreignFieldRemovals(live, "mcpscope-operator", ["spec", "template", "spec"]).slice(1)).toEqual([
      { op: "remove", path: "/spec/template/spec/containers/2" },
      { op: "remove", path: "/spec/template/spec/containers/1" },
    ]);
  });

  it("leaves what the operator owns too (the same value applied by another), status, and fields outside the scope", () => {
    const coOwner: V1ManagedFieldsEntry = {
      manager: "kubectl",
      operation: "Apply",
      fieldsV1: {
        "f:metadata": { "f:annotations": { "f:note": {} } },
        "f:spec": { "f:template": { "f:spec": { "f:containers": { [server]: { "f:image": {} } } } } },
      },
    };
    const live = deployment({ containers: [serverContainer()], securityContext: { runAsNonRoot: true } }, [
      ours,
      coOwner,
      controllerManagerStatus,
    ]);
    expect(foreignFieldRemovals(live, "mcpscope-operator", ["spec", "template", "spec"])).toEqual([]);
  });

  it("escapes keys with a slash, and skips what is owned but gone", () => {
    const service = {
      apiVersion: "v1",
      kind: "Service",
      metadata: {
        name: "w",
        resourceVersion: "7",
        managedFields: [
          {
            manager: "mcpscope-operator",
            operation: "Apply",
            fieldsV1: { "f:spec": { "f:selector": { "f:app": {} } } },
          },
          {
            manager: "kubectl-edit",
            operation: "Update",
            fieldsV1: { "f:spec": { "f:selector": { "f:team.example/owner": {}, "f:gone": {} }, "f:externalIPs": {} } },
          },
        ],
      },
      spec: { selector: { app: "w", "team.example/owner": "x" }, externalIPs: ["10.0.0.1"] },
    } as KubernetesObject;
    expect(foreignFieldRemovals(service, "mcpscope-operator", ["spec"])).toEqual([
      { op: "test", path: "/metadata/resourceVersion", value: "7" },
      { op: "remove", path: "/spec/selector/team.example~1owner" },
      { op: "remove", path: "/spec/externalIPs" },
    ]);
  });
});
