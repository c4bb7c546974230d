import { readFile, writeFile } from "node:fs/promises";
import { dump, load } from "js-yaml";
import { describe, expect, it } from "vitest";
import { mcpServerSpecSchema } from "../api/mcpserver.js";
import { buildDesiredObjects, type McpServerObject } from "./desired.js";

// Golden files (as opentelemetry-operator's testdata/*.yaml): the whole desired Deployment and
// Service for typical McpServers, so a change to probes, securityContext or env shows in review.
// UPDATE_GOLDEN=1 npx vitest run operator/src/controller/desired.golden.test.ts rewrites them.

const cases: Record<string, unknown> = {
  "streamable-http": {
    server: {
      image: "mcp/weather:1",
      port: 3001,
      env: [{ name: "API_KEY", valueFrom: { secretKeyRef: { name: "w", key: "k" } } }],
    },
    podTemplate: { spec: { nodeSelector: { pool: "mcp" } } },
  },
  sse: { server: { image: "mcp/forecast:1", transport: "sse" } },
  autoscaling: {
    autoscaling: { minReplicas: 2, maxReplicas: 6, targetCPUUtilizationPercentage: 75 },
    server: { image: "mcp/weather:1", port: 3001, resources: { requests: { cpu: "250m", memory: "128Mi" } } },
  },
  stdio: {
    serverName: "notes-stdio",
    server: { image: "mcp/notes:1", command: ["notes-server", "--stdio"], transport: "stdio" },
  },
};

function mcpServer(name: string, spec: unknown): McpServerObject {
  return {
    apiVersion: "mcpscope.dev/v1alpha1",
    kind: "McpServer",
    metadata: { name, namespace: "team-a", uid: "00000000-0000-0000-0000-000000000001" },
    spec: mcpServerSpecSchema.parse(spec),
  };
}

describe("desired objects, golden", () => {
  for (const [name, spec] of Object.entries(cases)) {
    it(`builds the ${name} McpServer's objects as in testdata/${name}.yaml`, async () => {
      const desired = buildDesiredObjects(mcpServer(name, spec), {
        sidecarImage: "ghcr.io/mcpscope/sidecar:0.1.0",
        otlpEndpoint: "http://mcpscope-collector.mcpscope-system.svc:4318",
      });
      const actual = {
        deployment: desired.deployment,
        service: desired.service,
        peerService: desired.peerService,
        ...(desired.autoscaler ? { autoscaler: desired.autoscaler } : {}),
        url: desired.url,
      };
      const file = new URL(`./testdata/${name}.yaml`, import.meta.url);
      if (process.env.UPDATE_GOLDEN === "1") await writeFile(file, dump(actual, { lineWidth: 120, noRefs: true }));
      expect(JSON.parse(JSON.stringify(actual))).toEqual(load(await readFile(file, "utf8")));
    });
  }
});
