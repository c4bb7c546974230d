import { fileURLToPath } from "node:url";
import { buildMcpServerCrd } from "@mcpscope/operator";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { type ControlPlane, startControlPlane } from "./harness/control-plane.js";
import { kubectlWith } from "./harness/programs.js";

const crdsDir = fileURLToPath(new URL("../../crds/", import.meta.url));
let cp: ControlPlane;

const kubectl = kubectlWith(
  () => inject("tools").KUBECTL,
  () => cp.kubeconfigPath,
);

type SchemaNode = { description?: string; properties?: Record<string, SchemaNode>; items?: SchemaNode };

/** The description the generated CRD carries at a dotted path below the root (what kubectl explain should print). */
function generatedDescription(path: string): string {
  const crd = buildMcpServerCrd() as { spec: { versions: { schema: { openAPIV3Schema: SchemaNode } }[] } };
  let node = crd.spec.versions[0]?.schema.openAPIV3Schema as SchemaNode | undefined;
  for (const name of path.split(".")) node = (node?.items ?? node)?.properties?.[name];
  if (!node?.description) throw new Error(`no description at ${path} in the generated CRD`);
  return node.description;
}

const oneSpaced = (text: string) => text.replace(/\s+/g, " ");

const mcpServer = (name: string, spec: string) => `apiVersion: mcpscope.dev/v1alpha1
kind: McpServer
metadata:
  name: ${name}
  namespace: default
spec:
${spec}
`;

beforeAll(async () => {
  cp = await startControlPlane(inject("tools"), { controllerManager: false });
  const applied = await kubectl(["apply", "-f", crdsDir]);
  expect(applied.stderr).toBe("");
  const established = await kubectl([
    "wait",
    "--for=condition=Established",
    "crd/mcpservers.mcpscope.dev",
    "--timeout=30s",
  ]);
  expect(established.code).toBe(0);
}, 120_000);

afterAll(async () => {
  await cp?.stop();
});

describe("the McpServer CRD on a real kube-apiserver", () => {
  it("installs and fills the schema's defaults into a minimal McpServer", async () => {
    const created = await kubectl(["apply", "-f", "-"], mcpServer("weather", "  server:\n    image: mcp/everything:1"));
    expect(created.code).toBe(0);
    const { stdout } = await kubectl(["get", "mcps", "weather", "-o", "json"]);
    const spec = JSON.parse(stdout).spec;
    expect(spec).toEqual({
      // No path default in the schema: the operator derives it per transport (/mcp, or /sse for sse).
      server: { image: "mcp/everything:1", port: 3001, transport: "streamable-http" },
      replicas: 1,
      sidecar: { port: 4000, metricsPort: 9464 },
    });
    const table = await kubectl(["get", "mcpservers"]);
    expect(table.stdout.split("\n")[0]).toMatch(/^NAME\s+READY\s+SERVER NAME\s+TRANSPORT\s+URL\s+AGE$/);
  });

  it("stores an McpServer's objectives as written", async () => {
    const slo = { availability: "99.95", latency: { threshold: "1.5s", objective: "99" } };
    const created = await kubectl(
      ["apply", "-f", "-"],
      mcpServer(
        "with-slo",
        '  server:\n    image: x\n  slo:\n    availability: "99.95"\n    latency: { threshold: 1.5s, objective: "99" }',
      ),
    );
    expect(created.stderr).toBe("");
    const { stdout } = await kubectl(["get", "mcps", "with-slo", "-o", "json"]);
    expect(JSON.parse(stdout).spec.slo).toEqual(slo);
  });

  it.each([
    [
      "stdio without a command",
      "  server:\n    image: x\n    transport: stdio",
      "spec.server.command is required when transport is stdio: the sidecar runs that command",
    ],
    [
      "an unknown transport",
      "  server:\n    image: x\n    transport: ws",
      'spec.server.transport: Unsupported value: "ws"',
    ],
    [
      "a port out of range",
      "  server:\n    image: x\n    port: 70000",
      "spec.server.port: Invalid value: 70000: spec.server.port in body should be less than or equal to 65535",
    ],
    ["no image", "  server:\n    port: 3001", "spec.server.image: Required value"],
    [
      "negative replicas",
      "  server:\n    image: x\n  replicas: -1",
      "spec.replicas in body should be greater than or equal to 0",
    ],
    [
      "a bad OTLP endpoint",
      "  server:\n    image: x\n  telemetry:\n    otlpEndpoint: otelcol:4318",
      "spec.telemetry.otlpEndpoint in body should match",
    ],
    [
      "a garbage quantity (the Deployment API would answer it with an opaque error)",
      "  server:\n    image: x\n    resources:\n      limits: { memory: lots }",
      'every value must be a quantity such as "500m", "128Mi" or 2',
    ],
    [
      "duplicate env names",
      "  server:\n    image: x\n    env: [{ name: A, value: '1' }, { name: A, value: '2' }]",
      'spec.server.env[1]: Duplicate value: {"name":"A"}',
    ],
    [
      "a sidecar port equal to its metrics port",
      "  server:\n    image: x\n  sidecar: { port: 9464, metricsPort: 9464 }",
      "spec.sidecar.port and spec.sidecar.metricsPort must differ",
    ],
    [
      "a server port equal to the sidecar's",
      "  server:\n    image: x\n    port: 4000",
      "spec.server.port must differ from spec.sidecar.port and spec.sidecar.metricsPort",
    ],
    [
      "an availability objective of 100 %",
      '  server:\n    image: x\n  slo:\n    availability: "100"',
      'spec.slo.availability: Invalid value: "100": must be a percent strictly between 0 and 100, such as "99.9"',
    ],
    [
      "an availability objective of 0 %",
      '  server:\n    image: x\n  slo:\n    availability: "0.0"',
      'spec.slo.availability: Invalid value: "0.0": must be a percent strictly between 0 and 100, such as "99.9"',
    ],
    [
      "an availability objective given as a number",
      "  server:\n    image: x\n  slo:\n    availability: 99.9",
      'spec.slo.availability: Invalid value: "number": spec.slo.availability in body must be of type string: "number"',
    ],
    [
      "a latency threshold without a unit",
      '  server:\n    image: x\n  slo:\n    latency: { threshold: "500", objective: "99" }',
      'spec.slo.latency.threshold: Invalid value: "500": must be a positive duration such as "500ms", "1.5s" or "2m"',
    ],
    [
      "a latency threshold of zero",
      '  server:\n    image: x\n  slo:\n    latency: { threshold: 0ms, objective: "99" }',
      'spec.slo.latency.threshold: Invalid value: "0ms": must be a positive duration such as "500ms", "1.5s" or "2m"',
    ],
    [
      "a latency objective above 100 %",
      '  server:\n    image: x\n  slo:\n    latency: { threshold: 500ms, objective: "150" }',
      'spec.slo.latency.objective: Invalid value: "150": must be a percent strictly between 0 and 100, such as "99.9"',
    ],
    [
      "a latency threshold without its objective",
      "  server:\n    image: x\n  slo:\n    latency: { threshold: 500ms }",
      "spec.slo.latency.objective: Required value",
    ],
    [
      "autoscaling with minReplicas above maxReplicas",
      "  server:\n    image: x\n    resources: { requests: { cpu: 100m } }\n  autoscaling: { minReplicas: 5, maxReplicas: 2 }",
      "minReplicas must not exceed maxReplicas",
    ],
    [
      "CPU autoscaling of an HTTP server without a CPU request",
      "  server:\n    image: x\n  autoscaling: { maxReplicas: 4 }",
      "spec.autoscaling needs spec.server.resources.requests.cpu",
    ],
  ])("rejects %s with a clear message", async (_what, spec, message) => {
    const result = await kubectl(["apply", "-f", "-"], mcpServer("bad", spec));
    expect(result.code).not.toBe(0);
    expect(result.stderr).toContain(message);
  });

  it.each([
    "spec.server.transport",
    "spec.sidecar.resources",
    "spec.podTemplate",
    "spec.podTemplate.spec.volumes",
    "spec.server.volumeMounts.subPath",
    "status.conditions.reason",
  ])("prints the description of %s in kubectl explain", async (path) => {
    // The API server publishes a new CRD's OpenAPI a moment after it is Established.
    let explained = await kubectl(["explain", `mcpservers.${path}`]);
    for (let attempt = 0; attempt < 20 && explained.code !== 0; attempt++) {
      await new Promise((resolve) => setTimeout(resolve, 500));
      explained = await kubectl(["explain", `mcpservers.${path}`]);
    }
    expect(explained.stderr).toBe("");
    expect(oneSpaced(explained.stdout)).toContain(oneSpaced(generatedDescription(path)));
  });
});
