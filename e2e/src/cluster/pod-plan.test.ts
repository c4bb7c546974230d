import type { V1Pod } from "@kubernetes/client-node";
import { describe, expect, it } from "vitest";
import { declaredPorts, mapNetworkValue, planPod } from "./pod-plan.js";

const context = {
  entrypointFor: (image: string) => (image.startsWith("sidecar") ? ["node", "sidecar/dist/main.js"] : undefined),
  ports: new Map([
    [3001, 41001],
    [4000, 41002],
  ]),
  services: { "collector.monitoring:4318": "127.0.0.1:45000" },
};

const pod: V1Pod = {
  metadata: { name: "weather-abc", namespace: "team-a" },
  spec: {
    initContainers: [
      { name: "setup", image: "busybox", command: ["true"] },
      {
        name: "sidecar",
        image: "sidecar:1",
        restartPolicy: "Always",
        env: [
          { name: "PORT", value: "4000" },
          { name: "MCP_UPSTREAM_URL", value: "http://127.0.0.1:3001" },
          { name: "OTEL_EXPORTER_OTLP_ENDPOINT", value: "http://collector.monitoring.svc.cluster.local:4318" },
          { name: "POD", valueFrom: { fieldRef: { fieldPath: "metadata.name" } } },
          { name: "GREETING", value: "hi $(POD)" },
        ],
        ports: [{ containerPort: 4000 }],
      },
    ],
    containers: [
      {
        name: "server",
        image: "server:1",
        command: ["serve"],
        args: ["--port", "3001"],
        ports: [{ containerPort: 3001 }],
      },
    ],
  },
};

describe("planPod", () => {
  it("runs native sidecars and containers (not one-shot init containers), with the pod's env resolved", () => {
    const plans = planPod(pod, context);
    expect(plans.map((p) => p.containerName)).toEqual(["sidecar", "server"]);
    expect(plans[0]).toEqual({
      containerName: "sidecar",
      command: ["node", "sidecar/dist/main.js"],
      env: {
        PORT: "41002",
        MCP_UPSTREAM_URL: "http://127.0.0.1:41001",
        OTEL_EXPORTER_OTLP_ENDPOINT: "http://127.0.0.1:45000",
        POD: "weather-abc",
        GREETING: "hi weather-abc",
      },
    });
    // Arguments are the container's own: only env values are network-mapped.
    expect(plans[1]?.command).toEqual(["serve", "--port", "3001"]);
    expect(declaredPorts(pod)).toEqual([4000, 3001]);
  });

  it("refuses what it cannot run faithfully instead of guessing", () => {
    const secretEnv: V1Pod = {
      spec: {
        containers: [
          {
            name: "c",
            image: "sidecar:1",
            env: [{ name: "TOKEN", valueFrom: { secretKeyRef: { name: "s", key: "k" } } }],
          },
        ],
      },
    };
    expect(() => planPod(secretEnv, context)).toThrow("cannot resolve env TOKEN");
    const unknownImage: V1Pod = { spec: { containers: [{ name: "c", image: "mystery:1" }] } };
    expect(() => planPod(unknownImage, context)).toThrow("no command and no known entrypoint for mystery:1");
  });
});

describe("mapNetworkValue", () => {
  it("maps declared loopback ports and known Services, and leaves everything else alone", () => {
    expect(mapNetworkValue("localhost:4000/mcp", context)).toBe("127.0.0.1:41002/mcp");
    expect(mapNetworkValue("http://127.0.0.1:9999", context)).toBe("http://127.0.0.1:9999");
    expect(mapNetworkValue("http://collector.monitoring:4318/v1", context)).toBe("http://127.0.0.1:45000/v1");
    expect(mapNetworkValue("http://other.monitoring:4318", context)).toBe("http://other.monitoring:4318");
    expect(mapNetworkValue("3001", context)).toBe("41001");
    expect(mapNetworkValue("30", context)).toBe("30");
  });
});
