import { type ChildProcess, spawn } from "node:child_process";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { KubeConfig, type V1Pod, VersionApi } from "@kubernetes/client-node";
import { freePort } from "@mcpscope/sidecar/testing";
import { e2eInstallArgs } from "../harness/helm.js";
import { runProgram, stdoutOf } from "../harness/programs.js";
import type { McpCluster, PodEndpoints } from "./cluster.js";
import { e2eServerImage, everythingPackage, waitFor } from "./e2e-settings.js";
import type { PhaseTimer } from "./phases.js";

const repoRoot = fileURLToPath(new URL("../../../", import.meta.url));
const clusterName = "mcpscope-e2e";
const images = {
  sidecar: "ghcr.io/mcpscope/sidecar:e2e",
  operator: "ghcr.io/mcpscope/operator:e2e",
  server: e2eServerImage,
};

/** Programs the kind provider needs on PATH (machines with Docker). */
export interface KindTools {
  KIND: string;
  DOCKER: string;
  KUBECTL: string;
  HELM: string;
}

async function must(file: string, args: string[]): Promise<string> {
  return stdoutOf(await runProgram(file, args, { cwd: repoRoot }), `${file} ${args.join(" ")}`);
}

/**
 * The kind provider, for machines with a Docker engine (`npm run e2e:kind`): the images built from
 * this repository's Dockerfiles, loaded into a kind cluster, the chart installed with `helm install`,
 * and the same assertions run against real pods, reached by `kubectl port-forward`.
 */
export async function startKindCluster(tools: KindTools, phases: PhaseTimer): Promise<McpCluster> {
  const dir = await mkdtemp(join(tmpdir(), "mcpscope-kind-"));
  const kubeconfigPath = join(dir, "kubeconfig");
  const forwards: ChildProcess[] = [];
  let prometheusUrl = "";
  let jaegerUrl = "";
  const kubectl = (args: string[]) => must(tools.KUBECTL, ["--kubeconfig", kubeconfigPath, ...args]);
  const kubeConfig = () => {
    const kc = new KubeConfig();
    kc.loadFromFile(kubeconfigPath);
    return kc;
  };

  async function portForward(target: string, namespace: string, remotePorts: number[]): Promise<number[]> {
    const local = await Promise.all(remotePorts.map(() => freePort()));
    const mappings = remotePorts.map((remote, i) => `${local[i]}:${remote}`);
    const child = spawn(
      tools.KUBECTL,
      ["--kubeconfig", kubeconfigPath, "-n", namespace, "port-forward", "--address", "127.0.0.1", target, ...mappings],
      { stdio: ["ignore", "pipe", "pipe"] },
    );
    forwards.push(child);
    await waitFor(
      `kubectl port-forward ${target}`,
      () =>
        new Promise<boolean>((resolve) => {
          child.stdout?.once("data", () => resolve(true));
          setTimeout(() => resolve(false), 1000);
        }),
      30_000,
    );
    return local;
  }

  await phases.time("kind cluster", async () => {
    await must(tools.KIND, [
      "create",
      "cluster",
      "--name",
      clusterName,
      "--kubeconfig",
      kubeconfigPath,
      "--wait",
      "120s",
    ]);
  });

  return {
    provider: "kind",
    kubeconfigPath,
    kubeConfig,

    async install() {
      await phases.time("docker build (sidecar, operator, MCP server images)", async () => {
        await must(tools.DOCKER, ["build", "-f", "sidecar/Dockerfile", "-t", images.sidecar, "."]);
        await must(tools.DOCKER, ["build", "-f", "operator/Dockerfile", "-t", images.operator, "."]);
        await must(tools.DOCKER, [
          "build",
          "-f",
          "sidecar/Dockerfile",
          "--build-arg",
          `MCP_STDIO_PACKAGES=${everythingPackage}`,
          "-t",
          images.server,
          ".",
        ]);
      });
      await phases.time("kind load docker-image", async () => {
        for (const image of Object.values(images)) {
          await must(tools.KIND, ["load", "docker-image", image, "--name", clusterName]);
        }
      });
      await phases.time("helm install", async () => {
        await must(tools.HELM, e2eInstallArgs(kubeconfigPath));
      });
      const [prometheusPort] = await portForward("svc/mcpscope-prometheus", "mcpscope-system", [9090]);
      prometheusUrl = `http://127.0.0.1:${prometheusPort}`;
      const [jaegerPort] = await portForward("svc/mcpscope-jaeger", "mcpscope-system", [16686]);
      jaegerUrl = `http://127.0.0.1:${jaegerPort}`;
    },

    async reachPod(pod) {
      const name = pod.metadata?.name ?? "";
      const namespace = pod.metadata?.namespace ?? "default";
      await kubectl(["-n", namespace, "wait", "--for=condition=Ready", `pod/${name}`, "--timeout=180s"]);
      const [proxy, metrics] = await portForward(`pod/${name}`, namespace, [4000, 9464]);
      const endpoints: PodEndpoints = {
        proxyUrl: `http://127.0.0.1:${proxy}`,
        metricsUrl: `http://127.0.0.1:${metrics}/metrics`,
      };
      return endpoints;
    },

    prometheusUrl: () => prometheusUrl,
    jaegerUrl: () => jaegerUrl,

    async stopServer(pod: V1Pod) {
      // SIGSTOP the server's processes (found by command line; the pod shares one process
      // namespace): it stops answering without a restart, and the sidecar keeps running.
      const script = [
        "for p in /proc/[0-9]*; do",
        '  pid=$(basename "$p"); [ "$pid" = "$$" ] && continue',
        '  tr "\\0" " " < "$p/cmdline" 2>/dev/null | grep -q "mcp-server-everything streamableHttp" && kill -STOP "$pid" 2>/dev/null',
        "done; true",
      ].join("\n");
      await kubectl([
        "-n",
        pod.metadata?.namespace ?? "default",
        "exec",
        pod.metadata?.name ?? "",
        "-c",
        "mcp-server",
        "--",
        "sh",
        "-c",
        script,
      ]);
    },

    async components() {
      const version = await kubeConfig().makeApiClient(VersionApi).getCode();
      return {
        provider: "kind",
        kubernetes: version.gitVersion,
        kind: (await must(tools.KIND, ["version"])).trim(),
        helm: (await must(tools.HELM, ["version", "--short"])).trim(),
        node: process.version,
      };
    },

    async teardown() {
      for (const child of forwards) child.kill("SIGTERM");
      const deleted = await runProgram(tools.KIND, ["delete", "cluster", "--name", clusterName]);
      await rm(dir, { recursive: true, force: true });
      return deleted.code === 0 ? [] : [`kind delete cluster failed: ${deleted.stderr}`];
    },
  };
}
