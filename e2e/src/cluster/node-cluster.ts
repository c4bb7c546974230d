import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { CoreV1Api, VersionApi } from "@kubernetes/client-node";
import { stopProcess } from "@mcpscope/sidecar/testing";
import { type ControlPlane, startControlPlane } from "../harness/control-plane.js";
import { dockerBuild } from "../harness/docker.js";
import { e2eInstallArgs } from "../harness/helm.js";
import { type LoggedProcess, spawnLogged } from "../harness/logged-process.js";
import { firstLineOf, kubectlWith, runProgram, stdoutOf } from "../harness/programs.js";
import type { ToolPaths } from "../harness/tools.js";
import type { McpCluster, PodEndpoints } from "./cluster.js";
import { e2eServerImage, everythingPackage, waitFor } from "./e2e-settings.js";
import {
  cniConfList,
  containerdConfig,
  containerdSocket,
  coreDnsImage,
  coreDnsObjects,
  kubeletConfiguration,
  kubeletPort,
  kubeProxyConfiguration,
  nodeLayout,
  sandboxImage,
  serviceRangeGuards,
} from "./node-config.js";
import { lockNodeCluster } from "./node-lock.js";
import type { PhaseTimer } from "./phases.js";

const repoRoot = fileURLToPath(new URL("../../../", import.meta.url));
const cleanupScript = join(repoRoot, "e2e/tools/node-cleanup.sh");
const namespace = "mcpscope-system";
const images = {
  sidecar: "ghcr.io/mcpscope/sidecar:e2e",
  operator: "ghcr.io/mcpscope/operator:e2e",
  server: e2eServerImage,
};
/** The images the chart runs besides ours: the local stand-ins e2e/tools/base-images.sh builds. */
const stackImages = [
  "otel/opentelemetry-collector-contrib:0.136.0",
  "prom/prometheus:v2.55.1",
  "jaegertracing/jaeger:2.13.0",
];

interface Daemon extends LoggedProcess {
  name: string;
}

const daemon = (name: string, file: string, args: string[]): Daemon => ({ name, ...spawnLogged(file, args) });

/**
 * The node provider: the control plane plus kube-scheduler, one real kubelet with its own containerd
 * (runc, CNI bridge), kube-proxy and CoreDNS on this machine — everything built or installed by
 * e2e/tools/setup.sh. The chart goes in with `helm install --wait`, images are imported into
 * containerd (nothing is pulled), and the test reaches Services by their ClusterIPs as pods do.
 * No substitutions: ports, DNS names and the webhook's Service are the cluster's own.
 */
export async function startNodeCluster(tools: ToolPaths, phases: PhaseTimer): Promise<McpCluster> {
  const unlock = await phases.time("node: waiting for other node clusters on this machine", () => lockNodeCluster());
  const layout = nodeLayout(await mkdtemp(join(tmpdir(), "mcpscope-node-")));
  const daemons: Daemon[] = [];
  let controlPlane: ControlPlane | undefined;
  let prometheusUrl = "";
  let jaegerUrl = "";
  const ctr = (args: string[]) => runProgram("ctr", ["-a", containerdSocket(layout), "-n", "k8s.io", ...args]);
  const kubectl = kubectlWith(
    () => tools.KUBECTL,
    () => controlPlane?.kubeconfigPath ?? "",
  );
  const must = async (args: string[], input?: string) =>
    stdoutOf(await kubectl(args, input), `kubectl ${args.join(" ")}`);

  async function stopAll(): Promise<string[]> {
    const problems: string[] = [];
    if (controlPlane) {
      // Pods first, while the kubelet runs: it tears their sandboxes and networks down properly.
      await kubectl(["delete", "namespace", "mcpscope-e2e", namespace, "--wait=false"]);
      await kubectl(["delete", "pods", "--all", "-A", "--grace-period=1", "--timeout=60s"]);
    }
    for (const d of [...daemons].reverse()) {
      await stopProcess(d.child, 10_000).catch((error: unknown) => problems.push(`${d.name}: ${String(error)}`));
    }
    await controlPlane?.stop();
    const cleanup = await runProgram("bash", [
      cleanupScript,
      layout.dir,
      layout.containerdRun,
      layout.bridge,
      layout.address,
      layout.serviceCidr,
      tools.KUBE_PROXY,
    ]);
    if (cleanup.code !== 0) problems.push(`node-cleanup.sh: ${cleanup.stderr}`);
    const left = await runProgram("pgrep", ["-f", containerdSocket(layout)]);
    if (left.stdout.trim()) problems.push(`processes still using the node's containerd: ${left.stdout.trim()}`);
    await rm(layout.dir, { recursive: true, force: true });
    await unlock();
    return problems;
  }

  const clusterIp = async (name: string, ns: string) =>
    (await controlPlane?.adminKubeConfig().makeApiClient(CoreV1Api).readNamespacedService({ name, namespace: ns }))
      ?.spec?.clusterIP;

  try {
    await phases.time("node: address on lo, control plane with kube-scheduler", async () => {
      // Reachable from pods (unlike 127.0.0.1): the API server's and the kubelet's address.
      const added = await runProgram("ip", ["addr", "add", `${layout.address}/32`, "dev", "lo"]);
      // Already there (a node that was not cleaned up): iproute2 says "File exists" or, since 6.x, "Address already assigned".
      if (added.code !== 0 && !/File exists|already assigned/.test(added.stderr)) {
        throw new Error(`ip addr add: ${added.stderr}`);
      }
      // ClusterIPs exist only as kube-proxy's DNAT rules. A connection to one made before they are
      // programmed would leave this machine, where a transparent proxy answers it — and an HTTP/2 or
      // keep-alive client then keeps that connection for good. As a real network would, refuse what
      // goes to the service range un-DNATed: from pods (mangle FORWARD, ahead of the CNI plugin's
      // ACCEPT rules; a drop) and from this host (filter OUTPUT, after nat OUTPUT; a reset).
      for (const rule of serviceRangeGuards(layout)) {
        if ((await runProgram("iptables", ["-C", ...rule])).code === 0) continue;
        const inserted = await runProgram("iptables", ["-I", ...rule]);
        if (inserted.code !== 0) throw new Error(`iptables -I ${rule.join(" ")}: ${inserted.stderr}`);
      }
      controlPlane = await startControlPlane(tools, { node: { address: layout.address } });
    });
    const cp = controlPlane as ControlPlane;

    await phases.time("node: containerd, images imported", async () => {
      await mkdir(join(layout.dir, "cni/net.d"), { recursive: true });
      await mkdir(layout.containerdRun, { recursive: true });
      await writeFile(join(layout.dir, "containerd.toml"), containerdConfig(layout));
      await writeFile(join(layout.dir, "cni/net.d/10-mcpscope.conflist"), cniConfList(layout));
      daemons.push(daemon("containerd", "containerd", ["--config", join(layout.dir, "containerd.toml")]));
      await waitFor("containerd's socket", async () => (await ctr(["version"])).code === 0, 30_000);
      await dockerBuild("sidecar/Dockerfile", images.sidecar);
      await dockerBuild("operator/Dockerfile", images.operator);
      await dockerBuild("sidecar/Dockerfile", images.server, { MCP_STDIO_PACKAGES: everythingPackage });
      const all = [sandboxImage, coreDnsImage, ...stackImages, ...Object.values(images)];
      const imported = await runProgram("bash", [
        "-c",
        `docker save ${all.join(" ")} | ctr -a ${containerdSocket(layout)} -n k8s.io images import -`,
      ]);
      if (imported.code !== 0) throw new Error(`importing images into containerd: ${imported.stderr}`);
    });

    await phases.time("node: kubelet Ready", async () => {
      const kubelet = await cp.kubeConfigFor(`system:node:${layout.nodeName}`, ["system:nodes"]);
      await writeFile(join(layout.dir, "kubelet.yaml"), kubeletConfiguration(layout, cp.caCertPath));
      const kubeletDaemon = daemon("kubelet", tools.KUBELET, [
        `--config=${join(layout.dir, "kubelet.yaml")}`,
        `--kubeconfig=${kubelet.path}`,
        `--root-dir=${join(layout.dir, "kubelet")}`,
        `--hostname-override=${layout.nodeName}`,
        `--node-ip=${layout.address}`,
        "--v=1",
      ]);
      daemons.push(kubeletDaemon);
      await waitFor(
        `node ${layout.nodeName} Ready\n${kubeletDaemon.log().slice(-3000)}`,
        async () =>
          (
            await cp.adminKubeConfig().makeApiClient(CoreV1Api).readNode({ name: layout.nodeName })
          ).status?.conditions?.some((c) => c.type === "Ready" && c.status === "True"),
        120_000,
      );
    });

    await phases.time("node: kube-proxy, CoreDNS Ready", async () => {
      const proxy = await cp.kubeConfigFor("system:kube-proxy");
      await writeFile(join(layout.dir, "kube-proxy.yaml"), kubeProxyConfiguration(layout, proxy.path));
      daemons.push(
        daemon("kube-proxy", tools.KUBE_PROXY, [`--config=${join(layout.dir, "kube-proxy.yaml")}`, "--v=1"]),
      );
      await waitFor(
        "kube-proxy's /healthz",
        async () => (await fetch("http://127.0.0.1:10256/healthz").catch(() => undefined))?.ok,
        60_000,
      );
      await waitFor(
        "the default ServiceAccount",
        async () => (await kubectl(["get", "sa", "default"])).code === 0,
        60_000,
      );
      await must(
        ["apply", "-f", "-"],
        JSON.stringify({ apiVersion: "v1", kind: "List", items: coreDnsObjects(layout) }),
      );
      await must(["-n", "kube-system", "rollout", "status", "deployment/coredns", "--timeout=120s"]);
    });
  } catch (error) {
    const logs = daemons.map((d) => `--- ${d.name}\n${d.log().slice(-2000)}`).join("\n");
    // Who listens on the node's address: a kubelet once exited at start finding its port taken.
    const listening = await runProgram("ss", ["-ltnp"]);
    const onAddress = listening.stdout
      .split("\n")
      .filter((line) => line.includes(`${layout.address}:`) || line.includes(`*:${kubeletPort}`));
    await stopAll();
    throw new Error(`${String(error)}\n--- listening on ${layout.address}\n${onAddress.join("\n")}\n${logs}`);
  }
  const cp = controlPlane as ControlPlane;

  return {
    provider: "node",
    kubeconfigPath: cp.kubeconfigPath,
    kubeConfig: () => cp.adminKubeConfig(),

    async install() {
      await phases.time("helm install --wait (operator Available through its probes)", async () => {
        // Grafana: no registry these machines reach serves its image.
        const installed = await runProgram(
          tools.HELM,
          e2eInstallArgs(cp.kubeconfigPath, { "grafana.enabled": "false" }),
        );
        if (installed.code !== 0) {
          const pods = await kubectl(["-n", namespace, "get", "pods", "-o", "wide"]);
          const events = await kubectl(["-n", namespace, "get", "events", "--sort-by=.lastTimestamp"]);
          throw new Error(`helm install failed: ${installed.stderr}\n${pods.stdout}\n${events.stdout.slice(-4000)}`);
        }
      });
      prometheusUrl = `http://${await clusterIp("mcpscope-prometheus", namespace)}:9090`;
      jaegerUrl = `http://${await clusterIp("mcpscope-jaeger", namespace)}:16686`;
    },

    async reachPod(pod) {
      const name = pod.metadata?.name ?? "";
      const ns = pod.metadata?.namespace ?? "default";
      await must(["-n", ns, "wait", "--for=condition=Ready", `pod/${name}`, "--timeout=180s"]);
      // Through the pod's Service (kube-proxy's ClusterIP) where it has one, as its clients do.
      const labels = pod.metadata?.labels ?? {};
      const services = await cp.adminKubeConfig().makeApiClient(CoreV1Api).listNamespacedService({ namespace: ns });
      const service = services.items.find(
        (s) => s.spec?.selector && Object.entries(s.spec.selector).every(([key, value]) => labels[key] === value),
      );
      const live = await cp.adminKubeConfig().makeApiClient(CoreV1Api).readNamespacedPod({ name, namespace: ns });
      const host = service?.spec?.clusterIP ?? live.status?.podIP;
      const endpoints: PodEndpoints = {
        proxyUrl: `http://${host}:4000`,
        metricsUrl: `http://${host}:9464/metrics`,
      };
      let last = "no answer yet";
      try {
        await waitFor(
          `pod ${name}: the sidecar's /health through ${host}`,
          async () => {
            const response = await fetch(`${endpoints.proxyUrl}/health`, { signal: AbortSignal.timeout(5_000) });
            last = `${response.status} ${await response.text()}`;
            return response.status === 200;
          },
          90_000,
        );
      } catch (error) {
        const logs = await kubectl(["-n", ns, "logs", name, "--all-containers", "--tail=40"]);
        const described = await kubectl(["-n", ns, "describe", "pod", name]);
        throw new Error(
          `${String(error)}\nlast /health: ${last}\n${logs.stdout}${logs.stderr}\n${described.stdout.slice(-3000)}`,
        );
      }
      return endpoints;
    },

    prometheusUrl: () => prometheusUrl,
    jaegerUrl: () => jaegerUrl,

    async stopServer(pod) {
      // Freeze the server container's processes (cgroup freezer): it stops answering, the kubelet
      // does not restart it, the sidecar keeps running.
      const live = await cp
        .adminKubeConfig()
        .makeApiClient(CoreV1Api)
        .readNamespacedPod({ name: pod.metadata?.name ?? "", namespace: pod.metadata?.namespace ?? "default" });
      const id = live.status?.containerStatuses
        ?.find((c) => c.name === "mcp-server")
        ?.containerID?.replace(/^containerd:\/\//, "");
      if (!id) throw new Error(`pod ${pod.metadata?.name} has no running mcp-server container`);
      stdoutOf(await ctr(["tasks", "pause", id]), "ctr tasks pause");
    },

    async components() {
      const version = await cp.adminKubeConfig().makeApiClient(VersionApi).getCode();
      return {
        provider: "node (kubelet + containerd + runc + CNI bridge, kube-proxy, CoreDNS)",
        kubernetes: version.gitVersion,
        containerd: await firstLineOf("containerd", ["--version"]),
        runc: await firstLineOf("runc", ["--version"]),
        coredns: await firstLineOf(tools.COREDNS, ["-version"]),
        helm: await firstLineOf(tools.HELM, ["version", "--short"]),
        images: `${Object.values(images).join(", ")} (docker build), ${stackImages.join(", ")} (local stand-ins)`,
        "outside containers":
          "etcd, kube-apiserver, kube-controller-manager, kube-scheduler, kubelet, kube-proxy, containerd",
      };
    },

    teardown: stopAll,
  };
}
