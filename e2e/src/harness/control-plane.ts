import { generateKeyPairSync } from "node:crypto";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { request as httpsRequest, type RequestOptions } from "node:https";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { KubeConfig } from "@kubernetes/client-node";
import { PooledKubeConfig } from "@mcpscope/operator";
import { createCertificateAuthority, issueCertificate } from "@mcpscope/operator/certs";
import { freePort, type RunningProcess, stopProcess } from "@mcpscope/sidecar/testing";
import { spawnLogged } from "./logged-process.js";
import { retryOnPortClash } from "./port-retry.js";

export interface ControlPlaneBinaries {
  ETCD: string;
  KUBE_APISERVER: string;
  KUBE_CONTROLLER_MANAGER: string;
  KUBE_SCHEDULER?: string;
}

export interface ControlPlaneOptions {
  controllerManager?: boolean;
  /**
   * For a cluster with a real node: the API server listens and advertises on this address (one pods
   * can reach, not loopback), authorizes kubelets (Node,RBAC + NodeRestriction) and kube-scheduler
   * runs. Default: 127.0.0.1 only, no scheduler.
   */
  node?: { address: string };
}

export interface ControlPlane {
  /** https://ADDRESS:PORT (127.0.0.1 unless options.node) */
  server: string;
  /** The cluster CA's certificate file (the API server's serving certificate is issued by it). */
  caCertPath: string;
  /** Path of an admin kubeconfig (client certificate in group system:masters). */
  kubeconfigPath: string;
  adminKubeConfig(): KubeConfig;
  /** A kubeconfig for a client certificate with this user name and groups (RBAC is enforced). */
  kubeConfigFor(user: string, groups?: string[]): Promise<{ kubeConfig: KubeConfig; path: string }>;
  /** kube-apiserver's own /metrics (Prometheus text), read as admin. */
  apiServerMetrics(): Promise<string>;
  stopControllerManager(): Promise<void>;
  stop(): Promise<void>;
}

async function waitHealthy(
  check: () => Promise<boolean>,
  what: string,
  child: RunningProcess["child"],
  timeoutMs: number,
  log: () => string,
) {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`${what} exited with ${child.exitCode}:\n${log()}`);
    if (await check().catch(() => false)) return;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`${what} not healthy within ${timeoutMs} ms:\n${log()}`);
}

const run = (binary: string, args: string[]) => spawnLogged(binary, args, 20_000);

/** The names the API server's certificate carries: its address, and the `kubernetes` Service's. */
const kubernetesServiceIp = "10.96.0.1";
const apiServerDnsNames = [
  "localhost",
  "kubernetes",
  "kubernetes.default",
  "kubernetes.default.svc",
  "kubernetes.default.svc.cluster.local",
];

/**
 * A real Kubernetes control plane on 127.0.0.1, started as controller-runtime's envtest does:
 * etcd, kube-apiserver (RBAC on, client-certificate auth) and kube-controller-manager (ReplicaSets,
 * Pods, garbage collection; no kubelet, so Pods stay Pending). Everything lives in a temp dir.
 * With `options.node`, ready for a real kubelet (see ControlPlaneOptions). Started again on new ports
 * when etcd or the API server lost one before binding it.
 */
export function startControlPlane(bin: ControlPlaneBinaries, options: ControlPlaneOptions = {}): Promise<ControlPlane> {
  return retryOnPortClash(() => startControlPlaneOnce(bin, options));
}

async function startControlPlaneOnce(bin: ControlPlaneBinaries, options: ControlPlaneOptions): Promise<ControlPlane> {
  const address = options.node?.address ?? "127.0.0.1";
  const dir = await mkdtemp(join(tmpdir(), "mcpscope-k8s-"));
  const processes: Array<{ child: RunningProcess["child"] }> = [];
  try {
    const ca = await createCertificateAuthority("mcpscope-test-ca", 2);
    const admin = await issueCertificate(ca, {
      commonName: "admin",
      organization: "system:masters",
      usage: "client",
      validityDays: 2,
    });
    // Issued by the cluster CA, so pods (which trust only that CA) can verify the API server.
    const serving = await issueCertificate(ca, {
      commonName: "kube-apiserver",
      usage: "server",
      dnsNames: apiServerDnsNames,
      ipAddresses: [...new Set([address, "127.0.0.1", kubernetesServiceIp])],
      validityDays: 2,
    });
    const sa = generateKeyPairSync("rsa", { modulusLength: 2048 });
    await writeFile(join(dir, "apiserver.crt"), serving.certPem);
    await writeFile(join(dir, "apiserver.key"), serving.keyPem);
    await writeFile(join(dir, "admin.crt"), admin.certPem);
    await writeFile(join(dir, "admin.key"), admin.keyPem);
    await writeFile(join(dir, "ca.crt"), ca.certPem);
    await writeFile(join(dir, "ca.key"), ca.keyPem);
    await writeFile(join(dir, "sa.key"), sa.privateKey.export({ type: "pkcs8", format: "pem" }));
    await writeFile(join(dir, "sa.pub"), sa.publicKey.export({ type: "spki", format: "pem" }));

    const [etcdClient, etcdPeer, apiPort, kcmPort, schedulerPort] = [
      await freePort(),
      await freePort(),
      await freePort(),
      await freePort(),
      await freePort(),
    ];
    const etcd = run(bin.ETCD, [
      `--data-dir=${join(dir, "etcd")}`,
      `--listen-client-urls=http://127.0.0.1:${etcdClient}`,
      `--advertise-client-urls=http://127.0.0.1:${etcdClient}`,
      `--listen-peer-urls=http://127.0.0.1:${etcdPeer}`,
      `--initial-advertise-peer-urls=http://127.0.0.1:${etcdPeer}`,
      `--initial-cluster=default=http://127.0.0.1:${etcdPeer}`,
      "--unsafe-no-fsync",
      "--log-level=warn",
    ]);
    processes.push(etcd);
    await waitHealthy(
      async () => (await fetch(`http://127.0.0.1:${etcdClient}/health`)).ok,
      "etcd",
      etcd.child,
      30_000,
      etcd.log,
    );

    const apiserver = run(bin.KUBE_APISERVER, [
      `--etcd-servers=http://127.0.0.1:${etcdClient}`,
      `--tls-cert-file=${join(dir, "apiserver.crt")}`,
      `--tls-private-key-file=${join(dir, "apiserver.key")}`,
      `--bind-address=${address}`,
      `--advertise-address=${address}`,
      `--secure-port=${apiPort}`,
      // kubeadm's default range: room for the 1,000 Services of the operator benchmark.
      "--service-cluster-ip-range=10.96.0.0/12",
      "--service-account-issuer=https://kubernetes.default.svc.cluster.local",
      `--service-account-key-file=${join(dir, "sa.pub")}`,
      `--service-account-signing-key-file=${join(dir, "sa.key")}`,
      `--client-ca-file=${join(dir, "ca.crt")}`,
      ...(options.node
        ? [
            "--authorization-mode=Node,RBAC",
            "--enable-admission-plugins=NodeRestriction",
            // For logs/exec: the API server's client certificate at the kubelet, which it reaches by IP.
            `--kubelet-client-certificate=${join(dir, "admin.crt")}`,
            `--kubelet-client-key=${join(dir, "admin.key")}`,
            "--kubelet-preferred-address-types=InternalIP,Hostname",
          ]
        : ["--authorization-mode=RBAC"]),
      "--allow-privileged=true",
      "--enable-priority-and-fairness=false",
      "--v=0",
    ]);
    processes.push(apiserver);
    const server = `https://${address}:${apiPort}`;
    const kubeconfigYaml = (user: string, cert: { certPem: string; keyPem: string }) =>
      [
        "apiVersion: v1",
        "kind: Config",
        "clusters:",
        `- name: test\n  cluster:\n    server: ${server}\n    insecure-skip-tls-verify: true`,
        "users:",
        `- name: ${user}\n  user:\n    client-certificate-data: ${Buffer.from(cert.certPem).toString("base64")}\n    client-key-data: ${Buffer.from(cert.keyPem).toString("base64")}`,
        "contexts:",
        `- name: test\n  context:\n    cluster: test\n    user: ${user}`,
        "current-context: test",
        "",
      ].join("\n");
    const kubeconfigPath = join(dir, "admin.kubeconfig");
    await writeFile(kubeconfigPath, kubeconfigYaml("admin", admin));
    // As the operator's main builds it: what the in-process controllers and webhooks under test use.
    const adminKubeConfig = () => {
      const kc = new PooledKubeConfig();
      kc.loadFromFile(kubeconfigPath);
      return kc;
    };
    await waitHealthy(
      () => readyz(adminKubeConfig(), `${server}/readyz`),
      "kube-apiserver",
      apiserver.child,
      90_000,
      apiserver.log,
    );

    let controllerManager: ReturnType<typeof run> | undefined;
    if (options.controllerManager !== false) {
      controllerManager = run(bin.KUBE_CONTROLLER_MANAGER, [
        `--kubeconfig=${kubeconfigPath}`,
        `--service-account-private-key-file=${join(dir, "sa.key")}`,
        `--root-ca-file=${join(dir, "ca.crt")}`,
        "--leader-elect=false",
        "--bind-address=127.0.0.1",
        `--secure-port=${kcmPort}`,
        "--controllers=*",
        "--use-service-account-credentials=false",
        "--v=0",
      ]);
      processes.push(controllerManager);
    }
    if (options.node) {
      if (!bin.KUBE_SCHEDULER) throw new Error("a control plane for a node needs KUBE_SCHEDULER");
      const scheduler = run(bin.KUBE_SCHEDULER, [
        `--kubeconfig=${kubeconfigPath}`,
        `--authentication-kubeconfig=${kubeconfigPath}`,
        `--authorization-kubeconfig=${kubeconfigPath}`,
        "--leader-elect=false",
        "--bind-address=127.0.0.1",
        `--secure-port=${schedulerPort}`,
        "--v=0",
      ]);
      processes.push(scheduler);
    }

    return {
      server,
      caCertPath: join(dir, "ca.crt"),
      kubeconfigPath,
      adminKubeConfig,
      async kubeConfigFor(user, groups = []) {
        const cert = await issueCertificate(ca, {
          commonName: user,
          organization: groups[0],
          usage: "client",
          validityDays: 1,
        });
        const path = join(dir, `${user.replace(/[^a-z0-9-]/gi, "_")}.kubeconfig`);
        await writeFile(path, kubeconfigYaml(user, cert));
        const kc = new PooledKubeConfig();
        kc.loadFromFile(path);
        return { kubeConfig: kc, path };
      },
      async apiServerMetrics() {
        const { status, body } = await getWithClientCertificate(adminKubeConfig(), `${server}/metrics`);
        if (status !== 200) throw new Error(`GET ${server}/metrics answered ${status}: ${body}`);
        return body;
      },
      async stopControllerManager() {
        if (controllerManager) await stopProcess(controllerManager.child);
      },
      async stop() {
        for (const p of [...processes].reverse()) await stopProcess(p.child, 5_000);
        await rm(dir, { recursive: true, force: true });
      },
    };
  } catch (error) {
    for (const p of [...processes].reverse()) await stopProcess(p.child, 5_000);
    await rm(dir, { recursive: true, force: true });
    throw error;
  }
}

/** GET /readyz with the kubeconfig's client certificate: true once every post-start hook is done. */
async function readyz(kc: KubeConfig, url: string): Promise<boolean> {
  return (await getWithClientCertificate(kc, url).catch(() => ({ status: 0 }))).status === 200;
}

/** A GET authenticated by the kubeconfig's client certificate (paths client-node has no API for). */
async function getWithClientCertificate(kc: KubeConfig, url: string): Promise<{ status: number; body: string }> {
  const options: RequestOptions = {};
  await kc.applyToHTTPSOptions(options);
  return new Promise((resolve, reject) => {
    const req = httpsRequest(url, options, (res) => {
      const chunks: Buffer[] = [];
      res.on("data", (chunk: Buffer) => chunks.push(chunk));
      res.on("end", () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString("utf8") }));
      res.on("error", reject);
    });
    req.on("error", reject);
    req.end();
  });
}
