import { fileURLToPath } from "node:url";
import { AppsV1Api } from "@kubernetes/client-node";
import { freePort, readMetrics, sampleValue } from "@mcpscope/sidecar/testing";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { waitFor } from "./cluster/e2e-settings.js";
import { type ControlPlane, startControlPlane } from "./harness/control-plane.js";
import { docker, dockerBuild, dockerOut, imageSize, inspect, publishedPort } from "./harness/docker.js";
import { kubectlWith } from "./harness/programs.js";

// The repository's Dockerfiles built unchanged with `docker build` (on the local stand-in for
// node:24-slim, e2e/tools/base-images.sh) and run as a container runtime runs them: non-root,
// read-only root filesystem, no capabilities, HEALTHCHECK, SIGTERM on stop.

const run = `mcpscope-images-${process.pid}`;
const images = {
  sidecar: "mcpscope/sidecar:e2e",
  operator: "mcpscope/operator:e2e",
  server: "mcpscope/compose-mcp-server:local",
};
const sizes: Record<string, number> = {};
const buildSeconds: Record<string, number> = {};
const containers: string[] = [];

/** docker run -d with the hardening every test applies; returns the container's name. */
async function runContainer(name: string, args: string[]): Promise<string> {
  const container = `${run}-${name}`;
  await dockerOut(["run", "-d", "--name", container, "--read-only", "--cap-drop", "ALL", ...args]);
  containers.push(container);
  return container;
}

const healthy = (container: string) =>
  waitFor(
    `${container} to be healthy by its image's HEALTHCHECK`,
    async () => (await inspect(container, "{{.State.Health.Status}}")) === "healthy",
    60_000,
  );

/** docker stop (SIGTERM, then SIGKILL after `grace` s): the exit code and how long it took. */
async function stopGracefully(container: string, grace: number) {
  const started = Date.now();
  await dockerOut(["stop", "-t", String(grace), container]);
  return { exitCode: Number(await inspect(container, "{{.State.ExitCode}}")), seconds: (Date.now() - started) / 1000 };
}

beforeAll(async () => {
  for (const [name, dockerfile, context] of [
    ["sidecar", "sidecar/Dockerfile", undefined],
    ["operator", "operator/Dockerfile", undefined],
    ["server", "compose/mcp-server.Dockerfile", "compose"],
  ] as const) {
    const started = Date.now();
    const image = images[name];
    if (context) await dockerOut(["build", "-q", "-f", dockerfile, "-t", image, context]);
    else await dockerBuild(dockerfile, image);
    buildSeconds[name] = (Date.now() - started) / 1000;
    sizes[name] = await imageSize(image);
  }
  sizes["node:24-slim (stand-in)"] = await imageSize("node:24-slim");
  await dockerOut(["network", "create", run]);
}, 900_000);

afterAll(async () => {
  for (const container of containers) await docker(["rm", "-f", container]);
  await docker(["network", "rm", run]);
  const mb = (bytes: number) => `${(bytes / 1e6).toFixed(0)} MB`;
  console.log(
    [
      "── images ──",
      ...Object.entries(sizes).map(([name, size]) => `  ${name.padEnd(26)} ${mb(size)}`),
      ...Object.entries(buildSeconds).map(([name, s]) => `  docker build ${name.padEnd(13)} ${s.toFixed(1)} s`),
    ].join("\n"),
  );
});

describe("the images, built and run", { timeout: 120_000 }, () => {
  it("hold only their bundle over node:24-slim: sidecar ≤ +20 MB, operator ≤ +25 MB (issue 16)", async () => {
    const base = sizes["node:24-slim (stand-in)"] ?? 0;
    // What each image adds to its base is scripts/bundle.mjs's output: one tree-shaken main.js and the
    // chunks loaded on demand (≈ 2.5 and 4 MB), no node_modules (≈ 28 and 66 MB before the bundles).
    expect((sizes.sidecar ?? 0) - base).toBeLessThanOrEqual(20e6);
    expect((sizes.operator ?? 0) - base).toBeLessThanOrEqual(25e6);
    for (const [image, workspace] of [
      [images.sidecar, "sidecar"],
      [images.operator, "operator"],
    ] as const) {
      const files = await dockerOut(["run", "--rm", "--entrypoint", "find", image, "/app", "-type", "f"]);
      const paths = files.split("\n");
      expect(paths).toContain(`/app/${workspace}/bundle/main.js`);
      expect(paths.filter((path) => !path.startsWith(`/app/${workspace}/bundle/`))).toEqual([]);
      expect(paths.filter((path) => path.includes("node_modules"))).toEqual([]);
    }
  });

  it("sidecar: in front of a server-everything container, as uid 1000 on a read-only root, healthy, counting, and exits 0 on SIGTERM", async () => {
    await runContainer("server", [
      "--network",
      run,
      "--network-alias",
      "everything",
      "--tmpfs",
      "/tmp",
      "-e",
      "PORT=3001",
      images.server,
    ]);
    const sidecar = await runContainer("sidecar", [
      "--network",
      run,
      "-p",
      "127.0.0.1::4000",
      "-p",
      "127.0.0.1::9464",
      // The image's own HEALTHCHECK command, checked every second instead of every 15.
      "--health-interval",
      "1s",
      "-e",
      "MCP_UPSTREAM_URL=http://everything:3001",
      "-e",
      "MCP_UPSTREAM_NAME=weather",
      images.sidecar,
    ]);
    await healthy(sidecar);
    expect(await inspect(sidecar, "{{.Config.User}}")).toBe("1000:1000");
    expect(await dockerOut(["exec", sidecar, "id", "-u"])).toBe("1000");
    expect(await inspect(sidecar, "{{.HostConfig.ReadonlyRootfs}}")).toBe("true");

    const proxy = `http://127.0.0.1:${await publishedPort(sidecar, 4000)}`;
    await waitFor("the sidecar's /health to reach the server", async () => (await fetch(`${proxy}/health`)).ok, 30_000);
    const client = new Client({ name: "mcpscope-images", version: "1.0.0" });
    const transport = new StreamableHTTPClientTransport(new URL(`${proxy}/mcp`));
    await client.connect(transport);
    expect((await client.listTools()).tools.map((t) => t.name)).toContain("echo");
    expect(await client.callTool({ name: "echo", arguments: { message: "from a container" } })).toEqual({
      content: [{ type: "text", text: "Echo: from a container" }],
    });
    await transport.terminateSession();
    await client.close();
    const metrics = await readMetrics(`http://127.0.0.1:${await publishedPort(sidecar, 9464)}/metrics`);
    expect(sampleValue(metrics, "mcp_tool_calls_total", { server_name: "weather", tool_name: "echo" })).toBe(1);

    const stopped = await stopGracefully(sidecar, 10);
    expect(stopped.exitCode).toBe(0);
    expect(stopped.seconds).toBeLessThan(10);
  });

  it("operator: against the control plane from a read-only container, healthy, reconciling an McpServer, and exits 0 on SIGTERM", async () => {
    const cp: ControlPlane = await startControlPlane(inject("tools"));
    try {
      const kubectl = kubectlWith(
        () => inject("tools").KUBECTL,
        () => cp.kubeconfigPath,
      );
      expect((await kubectl(["apply", "-f", fileURLToPath(new URL("../../crds/", import.meta.url))])).code).toBe(0);
      expect((await kubectl(["wait", "--for=condition=Established", "crd/mcpservers.mcpscope.dev"])).code).toBe(0);
      expect((await kubectl(["create", "namespace", "mcpscope-system"])).code).toBe(0);
      const [health, metrics, webhook] = [await freePort(), await freePort(), await freePort()];
      // The control plane listens on loopback: the container shares the host's network.
      const operator = await runContainer("operator", [
        "--network",
        "host",
        "--health-interval",
        "1s",
        "-v",
        `${cp.kubeconfigPath}:/kube/config:ro`,
        "-e",
        "KUBECONFIG=/kube/config",
        "-e",
        "OPERATOR_NAMESPACE=mcpscope-system",
        "-e",
        "POD_NAME=operator-in-docker",
        "-e",
        `HEALTH_PORT=${health}`,
        "-e",
        `METRICS_PORT=${metrics}`,
        "-e",
        `WEBHOOK_PORT=${webhook}`,
        "-e",
        "WEBHOOK_HOST=127.0.0.1",
        images.operator,
      ]);
      await healthy(operator);
      expect(await dockerOut(["exec", operator, "id", "-u"])).toBe("1000");
      await kubectl(
        ["apply", "-f", "-"],
        "apiVersion: mcpscope.dev/v1alpha1\nkind: McpServer\nmetadata: { name: boxed, namespace: default }\nspec:\n  server: { image: example/mcp:1 }\n",
      );
      const apps = cp.adminKubeConfig().makeApiClient(AppsV1Api);
      const deployment = await waitFor(
        "the operator in the container to create the McpServer's Deployment",
        () => apps.readNamespacedDeployment({ name: "boxed", namespace: "default" }).catch(() => undefined),
        60_000,
      );
      expect(deployment.spec?.template.spec?.containers.map((c) => c.name)).toContain("mcpscope-sidecar");
      const stopped = await stopGracefully(operator, 10);
      expect(stopped.exitCode).toBe(0);
      expect(stopped.seconds).toBeLessThan(10);
    } finally {
      await cp.stop();
    }
  });
});
