import { Resolver } from "node:dns/promises";
import { fileURLToPath } from "node:url";
import { AppsV1Api, CoreV1Api, DiscoveryV1Api } from "@kubernetes/client-node";
import { groupVersion, kind } from "@mcpscope/operator";
import { unwrapSessionId } from "@mcpscope/sidecar";
import { type MetricPoint, readMetrics, sampleValue } from "@mcpscope/sidecar/testing";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import type { McpCluster } from "./cluster/cluster.js";
import { e2eServerImage, waitFor } from "./cluster/e2e-settings.js";
import { startNodeCluster } from "./cluster/node-cluster.js";
import { formatReport, PhaseTimer } from "./cluster/phases.js";
import { workloadNamespace } from "./cluster/workloads.js";
import { hostPythonContainer } from "./harness/host-python-in-pod.js";
import {
  expectedEchoes,
  fetchPerRequest,
  type SessionOutcome,
  sdk1Session,
  sdk2Session,
  sseSession,
} from "./harness/mcp-sessions.js";
import { kubectlWith, runProgram, stdoutOf } from "./harness/programs.js";

// Replicas that keep MCP sessions, on a real node (kubelet, containerd, kube-proxy, CoreDNS): three
// McpServers with replicas: 3, reached through their Services' ClusterIPs as in-cluster clients reach
// them, with no affinity. The sidecars find each other through the operator's headless peer Service.

const peer = fileURLToPath(new URL("../python/mcp_peer.py", import.meta.url));
const repoRoot = fileURLToPath(new URL("../..", import.meta.url)).replace(/\/$/, "");
/** The built program a client pod runs (harness/in-pod-clients.ts), from the repository mounted at its own path. */
const inPodClients = `${repoRoot}/e2e/dist/harness/in-pod-clients.js`;
/** Pod-deletion rounds per server (MCPSCOPE_E2E_DELETION_ROUNDS, default 1): to hunt a flake, run it several times on one cluster. */
const deletionRounds = Number(process.env.MCPSCOPE_E2E_DELETION_ROUNDS ?? "1");
const replicas = 3;
const sidecarEnv = [
  { name: "LOG_LEVEL", value: "warn" },
  { name: "MCP_HEALTH_INTERVAL_MS", value: "2000" },
];

const servers = {
  "rep-http": { command: ["mcp-server-everything", "streamableHttp"], transport: "streamable-http", path: "/mcp" },
  "rep-sse": { command: ["mcp-server-everything", "sse"], transport: "sse", path: "/sse" },
  "rep-stdio": { command: ["mcp-server-everything", "stdio"], transport: "stdio", path: "/mcp" },
} as const;
type ServerName = keyof typeof servers;

const mcpServerOf = (name: ServerName) => ({
  apiVersion: groupVersion,
  kind,
  metadata: { name, namespace: workloadNamespace },
  spec: {
    replicas,
    server: {
      image: e2eServerImage,
      command: servers[name].command,
      transport: servers[name].transport,
      ...(servers[name].transport === "stdio"
        ? {
            // One container holds the sidecar and a server-everything per session (≈ 28 MiB each over
            // ≈ 82 MiB); the pod-deletion case may open more than the default 256Mi's 4 sessions on one
            // pod before every pod holds one. The operator derives 28 sessions from this limit.
            resources: { requests: { cpu: "50m", memory: "128Mi" }, limits: { memory: "1Gi" } },
          }
        : { port: 3001 }),
    },
    sidecar: { env: sidecarEnv },
  },
});

const phases = new PhaseTimer();
let cluster: McpCluster;
const kubectlRun = kubectlWith(
  () => inject("tools").KUBECTL,
  () => cluster.kubeconfigPath,
);
const kubectl = async (args: string[], input?: string) =>
  stdoutOf(await kubectlRun(args, input), `kubectl ${args.join(" ")}`);

const scaleTo = (name: ServerName, count: number) =>
  kubectl([
    "-n",
    workloadNamespace,
    "patch",
    kind.toLowerCase(),
    name,
    "--type=merge",
    "-p",
    JSON.stringify({ spec: { replicas: count } }),
  ]);

async function serviceUrl(name: ServerName): Promise<string> {
  const service = await cluster
    .kubeConfig()
    .makeApiClient(CoreV1Api)
    .readNamespacedService({ name, namespace: workloadNamespace });
  return `http://${service.spec?.clusterIP}:4000${servers[name].path}`;
}

async function podIpsOf(name: ServerName): Promise<string[]> {
  const pods = await cluster
    .kubeConfig()
    .makeApiClient(CoreV1Api)
    .listNamespacedPod({ namespace: workloadNamespace, labelSelector: `mcpscope.dev/server=${name}` });
  return pods.items
    .filter((p) => !p.metadata?.deletionTimestamp && p.status?.podIP)
    .map((p) => p.status?.podIP as string)
    .sort();
}

/** The addresses a Service's EndpointSlices list as ready: where kube-proxy will send new connections. */
async function readyEndpointIpsOf(name: ServerName): Promise<string[]> {
  const slices = await cluster
    .kubeConfig()
    .makeApiClient(DiscoveryV1Api)
    .listNamespacedEndpointSlice({ namespace: workloadNamespace, labelSelector: `kubernetes.io/service-name=${name}` });
  return slices.items
    .flatMap((slice) => slice.endpoints)
    .filter((endpoint) => endpoint?.conditions?.ready)
    .flatMap((endpoint) => endpoint?.addresses ?? []);
}

async function metricsOf(ips: string[]): Promise<MetricPoint[][]> {
  return Promise.all(ips.map((ip) => readMetrics(`http://${ip}:9464/metrics`)));
}

const total = (perPod: MetricPoint[][], name: string, labels: Record<string, string> = {}) =>
  perPod.reduce((sum, points) => sum + sampleValue(points, name, labels), 0);

async function pythonSession(url: string, echoes: number) {
  const result = await runProgram(inject("tools").PYTHON_MCP, [peer, "echoes", url, "legacy", String(echoes)]);
  if (result.code !== 0) throw new Error(`python client failed (${result.code}):\n${result.stderr}`);
  const parsed = JSON.parse(result.stdout) as { tools: string[]; echoes: { content: unknown }[] };
  // The Python SDK's result model adds its own fields (is_error, result_type) to what it received.
  return { tools: parsed.tools.length, replies: parsed.echoes.map((e) => ({ content: e.content })) };
}

/** Opens sessions until each pod holds at least one; returns them with their pods. */
async function sessionsOnEveryPod(url: string, ips: string[]) {
  const open: { client: Client; pod: string }[] = [];
  for (let i = 0; i < 30 && new Set(open.map((o) => o.pod)).size < ips.length; i++) {
    const client = new Client({ name: "mcpscope-replicas", version: "1.0.0" });
    const transport = new StreamableHTTPClientTransport(new URL(url), { fetch: fetchPerRequest });
    await client.connect(transport);
    open.push({ client, pod: unwrapSessionId(transport.sessionId ?? "")?.replicaIp ?? "" });
  }
  expect(new Set(open.map((o) => o.pod))).toEqual(new Set(ips));
  return open;
}

beforeAll(async () => {
  cluster = await startNodeCluster(inject("tools"), phases);
  await cluster.install();
  await phases.time("three McpServers × 3 replicas Ready", async () => {
    await kubectl(["create", "namespace", workloadNamespace]);
    const items = (Object.keys(servers) as ServerName[]).map(mcpServerOf);
    await kubectl(["apply", "-f", "-"], JSON.stringify({ apiVersion: "v1", kind: "List", items }));
    const apps = cluster.kubeConfig().makeApiClient(AppsV1Api);
    for (const name of Object.keys(servers) as ServerName[]) {
      await waitFor(
        `${name}: ${replicas} replicas ready`,
        async () =>
          (await apps.readNamespacedDeployment({ name, namespace: workloadNamespace })).status?.readyReplicas ===
          replicas,
        300_000,
      );
      // Ready pods are not yet in every Service's endpoints, nor in kube-proxy's rules: clients arriving the
      // moment the last replica turned ready all went to the first two.
      await waitFor(
        `${name}: ${replicas} ready endpoints`,
        async () => (await readyEndpointIpsOf(name)).length === replicas,
        60_000,
      );
    }
    // And kube-proxy sends new connections to each of them.
    const url = await serviceUrl("rep-http");
    const seen = new Set<string>();
    await waitFor(
      "rep-http: sessions on all three pods",
      async () => {
        const outcome = await sdk1Session(url, 1);
        seen.add(outcome.pod ?? "");
        return seen.size === replicas;
      },
      60_000,
    );
  });
}, 1_500_000);

afterAll(async () => {
  if (!cluster) return;
  const leftovers = await phases.time("tear-down", () => cluster.teardown());
  console.log(formatReport(`mcpscope replicas e2e (${cluster.provider})`, {}, phases.phases));
  if (leftovers.length > 0) throw new Error(`tear-down left things behind:\n${leftovers.join("\n")}`);
}, 300_000);

describe("McpServers with replicas: 3 on a real node, through their ClusterIPs", { timeout: 300_000 }, () => {
  it("completes 20 sessions each of SDK 1.x, SDK 2.x and Python clients, spread over all pods, counted exactly", async () => {
    const url = await serviceUrl("rep-http");
    const ips = await podIpsOf("rep-http");
    const before = await metricsOf(ips);
    const typescript = await Promise.all([
      ...Array.from({ length: 20 }, () => sdk1Session(url, 5)),
      ...Array.from({ length: 20 }, () => sdk2Session(url, 5)),
    ]);
    const python: Awaited<ReturnType<typeof pythonSession>>[] = [];
    for (let batch = 0; batch < 4; batch++)
      python.push(...(await Promise.all(Array.from({ length: 5 }, () => pythonSession(url, 5)))));
    const single = await sdk1Session(url, 5);
    for (const session of [...typescript, ...python]) {
      expect(session.tools).toBe(single.tools);
      expect(session.replies).toEqual(expectedEchoes(5));
    }
    expect(new Set(typescript.map((s) => s.pod))).toEqual(new Set(ips));
    const after = await metricsOf(ips);
    const delta = (name: string, labels: Record<string, string>) =>
      total(after, name, labels) - total(before, name, labels);
    expect(delta("mcp_requests_total", { method: "initialize", status: "ok" })).toBe(61);
    expect(delta("mcp_requests_total", { method: "tools/list", status: "ok" })).toBe(61);
    expect(delta("mcp_requests_total", { method: "tools/call", status: "ok" })).toBe(305);
    expect(delta("mcp_requests_total", { status: "error" })).toBe(0);
    expect(delta("mcp_replica_forwards_total", {})).toBeGreaterThan(0);
  });

  it("routes legacy HTTP+SSE clients' POSTs to the pod holding their stream", async () => {
    const url = await serviceUrl("rep-sse");
    const ips = await podIpsOf("rep-sse");
    const before = await metricsOf(ips);
    const sessions = await Promise.all(Array.from({ length: 20 }, () => sseSession(url, 5)));
    const during = await metricsOf(ips);
    for (const session of sessions) expect(session.replies).toEqual(expectedEchoes(5));
    const holding = during.filter((points) => sampleValue(points, "mcp_streams_active", { kind: "legacy_sse" }) > 0);
    expect(holding).toHaveLength(ips.length);
    await Promise.all(sessions.map((s) => s.client.close()));
    const after = await metricsOf(ips);
    expect(
      total(after, "mcp_requests_total", { method: "tools/call", status: "ok" }) -
        total(before, "mcp_requests_total", { method: "tools/call", status: "ok" }),
    ).toBe(100);
  });

  it("completes sessions from three client pods (three source addresses; SDK 1.x, 2.x, Python, legacy SSE), spread over all pods, counted exactly", async () => {
    // Pods reach the ClusterIP from their own IPs: kube-proxy masquerades only traffic from outside
    // the cluster CIDR (such as this host's), so each sidecar sees three client addresses here, where
    // the test above is one address, as behind a gateway.
    const clientPods = ["rep-client-0", "rep-client-1", "rep-client-2"];
    const perKind = 7;
    const echoes = 5;
    const core = cluster.kubeConfig().makeApiClient(CoreV1Api);
    const httpIps = await podIpsOf("rep-http");
    const sseIps = await podIpsOf("rep-sse");
    const before = { http: await metricsOf(httpIps), sse: await metricsOf(sseIps) };
    // The Python SDK's clients in each pod too: this host's venv, run by the host's loader (harness/host-python-in-pod.ts).
    const python = await hostPythonContainer(
      inject("tools").PYTHON_MCP,
      "python",
      `pids=""; for i in $(seq ${perKind}); do $MCPSCOPE_PYTHON ${peer} echoes http://rep-http:4000${servers["rep-http"].path} legacy ${echoes} & pids="$pids $!"; done; s=0; for p in $pids; do wait $p || s=1; done; exit $s`,
    );
    const pods = clientPods.map((name) => ({
      apiVersion: "v1",
      kind: "Pod",
      metadata: { name, namespace: workloadNamespace, labels: { app: "rep-client" } },
      spec: {
        restartPolicy: "Never",
        containers: [
          {
            name: "clients",
            image: e2eServerImage,
            imagePullPolicy: "Never",
            command: [
              "node",
              inPodClients,
              `http://rep-http:4000${servers["rep-http"].path}`,
              `http://rep-sse:4000${servers["rep-sse"].path}`,
              String(perKind),
              String(echoes),
            ],
            volumeMounts: [{ name: "repository", mountPath: repoRoot, readOnly: true }],
          },
          {
            ...python.container,
            image: e2eServerImage,
            imagePullPolicy: "Never",
            volumeMounts: [
              ...(python.container.volumeMounts ?? []),
              { name: "repository", mountPath: repoRoot, readOnly: true },
            ],
          },
        ],
        volumes: [{ name: "repository", hostPath: { path: repoRoot, type: "Directory" } }, ...python.volumes],
      },
    }));
    await kubectl(["apply", "-f", "-"], JSON.stringify({ apiVersion: "v1", kind: "List", items: pods }));
    try {
      const finished = await waitFor(
        "the client pods to finish",
        async () => {
          const list = await core.listNamespacedPod({ namespace: workloadNamespace, labelSelector: "app=rep-client" });
          const failed = list.items.find((p) => p.status?.phase === "Failed");
          if (failed) {
            const log = await kubectlRun([
              "-n",
              workloadNamespace,
              "logs",
              failed.metadata?.name as string,
              "--all-containers",
            ]);
            throw new Error(`client pod ${failed.metadata?.name} failed:\n${log.stdout}${log.stderr}`);
          }
          const done = list.items.filter((p) => p.status?.phase === "Succeeded");
          return done.length === clientPods.length && done;
        },
        240_000,
      );
      const sourceIps = finished.map((p) => p.status?.podIP as string);
      expect(new Set(sourceIps).size).toBe(clientPods.length);
      const single = await sdk1Session(await serviceUrl("rep-http"), echoes);
      const outcomes: Record<"sdk1" | "sdk2" | "sse", SessionOutcome[]>[] = [];
      const pythonOutcomes: { tools: number; replies: unknown[] }[] = [];
      for (const [index, name] of clientPods.entries()) {
        const printed = JSON.parse(await kubectl(["-n", workloadNamespace, "logs", name, "-c", "clients"])) as {
          addresses: string[];
        } & Record<"sdk1" | "sdk2" | "sse", SessionOutcome[]>;
        // The program ran in the pod's own network namespace, on the address the API reports.
        expect(printed.addresses).toContain(sourceIps[index]);
        outcomes.push(printed);
        const pythonLines = (await kubectl(["-n", workloadNamespace, "logs", name, "-c", "python"])).trim().split("\n");
        pythonOutcomes.push(
          ...pythonLines.map((line) => {
            const parsed = JSON.parse(line) as { tools: string[]; echoes: { content: unknown }[] };
            // The Python SDK's result model adds its own fields (is_error, result_type) to what it received.
            return { tools: parsed.tools.length, replies: parsed.echoes.map((e) => ({ content: e.content })) };
          }),
        );
      }
      const http = outcomes.flatMap((o) => [...o.sdk1, ...o.sdk2]);
      const sse = outcomes.flatMap((o) => o.sse);
      expect(http).toHaveLength(clientPods.length * perKind * 2);
      expect(sse).toHaveLength(clientPods.length * perKind);
      expect(pythonOutcomes).toHaveLength(clientPods.length * perKind);
      for (const session of [...http, ...sse, ...pythonOutcomes]) {
        expect(session.tools).toBe(single.tools);
        expect(session.replies).toEqual(expectedEchoes(echoes));
      }
      expect(new Set(http.map((s) => s.pod))).toEqual(new Set(httpIps));
      expect(new Set(sse.map((s) => s.pod))).toEqual(new Set(sseIps));
      const after = { http: await metricsOf(httpIps), sse: await metricsOf(sseIps) };
      const delta = (which: "http" | "sse", name: string, labels: Record<string, string>) =>
        total(after[which], name, labels) - total(before[which], name, labels);
      // The clients' sessions (TypeScript and Python) and the one from this host.
      const httpSessions = http.length + pythonOutcomes.length + 1;
      expect(delta("http", "mcp_requests_total", { method: "initialize", status: "ok" })).toBe(httpSessions);
      expect(delta("http", "mcp_requests_total", { method: "tools/list", status: "ok" })).toBe(httpSessions);
      expect(delta("http", "mcp_requests_total", { method: "tools/call", status: "ok" })).toBe(httpSessions * echoes);
      expect(delta("http", "mcp_requests_total", { status: "error" })).toBe(0);
      expect(delta("sse", "mcp_requests_total", { method: "tools/call", status: "ok" })).toBe(sse.length * echoes);
      expect(delta("sse", "mcp_requests_total", { status: "error" })).toBe(0);
    } finally {
      await kubectl(["-n", workloadNamespace, "delete", "pod", "-l", "app=rep-client", "--wait=true"]);
    }
  });

  it("routes a new replica's sessions at once, while cluster DNS still caches the peer Service's answer without it", async () => {
    const core = cluster.kubeConfig().makeApiClient(CoreV1Api);
    const dns = await core.readNamespacedService({ name: "kube-dns", namespace: "kube-system" });
    const resolver = new Resolver();
    resolver.setServers([dns.spec?.clusterIP as string]);
    // The name the sidecars resolve (MCP_REPLICA_PEERS, `<peer Service>.<namespace>.svc`), fully qualified.
    const deployment = await cluster
      .kubeConfig()
      .makeApiClient(AppsV1Api)
      .readNamespacedDeployment({ name: "rep-http", namespace: workloadNamespace });
    const peersEnv = deployment.spec?.template.spec?.containers
      .flatMap((c) => c.env ?? [])
      .find((e) => e.name === "MCP_REPLICA_PEERS")?.value;
    const peersName = `${peersEnv}.cluster.local`;
    const url = await serviceUrl("rep-http");
    const before = await podIpsOf("rep-http");
    // The answer every sidecar gets is cached by CoreDNS (`cache 30`, `ttl 30`) with three pods. The
    // sidecars asked it at some time: let that answer expire, so the one cached now holds for 30 s.
    const cached = await resolver.resolve4(peersName, { ttl: true });
    await new Promise((resolve) => setTimeout(resolve, (Math.max(...cached.map((a) => a.ttl)) + 1) * 1000));
    const fresh = await resolver.resolve4(peersName, { ttl: true });
    expect(fresh.map((a) => a.address).sort()).toEqual(before);
    expect(Math.min(...fresh.map((a) => a.ttl))).toBeGreaterThanOrEqual(25);
    await scaleTo("rep-http", 4);
    try {
      const newIp = await waitFor(
        "a fourth rep-http pod ready",
        async () => {
          const pods = await core.listNamespacedPod({
            namespace: workloadNamespace,
            labelSelector: "mcpscope.dev/server=rep-http",
          });
          const ready = pods.items.find(
            (p) =>
              !before.includes(p.status?.podIP ?? "") &&
              p.status?.conditions?.some((c) => c.type === "Ready" && c.status === "True"),
          );
          return ready?.status?.podIP;
        },
        60_000,
      );
      // The case this test is for: the other replicas' DNS answer does not list the new pod yet.
      expect(
        await resolver.resolve4(peersName),
        "CoreDNS's cached answer (the pod was ready within 30 s)",
      ).not.toContain(newIp);
      // A ready pod joins the Service's endpoints, then kube-proxy's rules (at most a second later): sessions
      // opened before that all went to the three others.
      await waitFor(
        "the fourth pod in rep-http's ready endpoints",
        async () => (await readyEndpointIpsOf("rep-http")).includes(newIp),
        30_000,
      );
      const ips = [...before, newIp].sort();
      const beforeMetrics = await metricsOf(ips);
      let onNewPod: { client: Client; transport: StreamableHTTPClientTransport } | undefined;
      const others: Client[] = [];
      for (let i = 0; i < 40 && !onNewPod; i++) {
        const client = new Client({ name: "mcpscope-replicas", version: "1.0.0" });
        const transport = new StreamableHTTPClientTransport(new URL(url), { fetch: fetchPerRequest });
        await client.connect(transport);
        if (unwrapSessionId(transport.sessionId ?? "")?.replicaIp === newIp) onNewPod = { client, transport };
        else others.push(client);
      }
      if (!onNewPod) throw new Error(`no session of 40 landed on the new pod ${newIp}`);
      // Each call lands wherever the Service sends it; those on the three older pods are forwarded.
      for (let i = 0; i < 12; i++)
        expect(await onNewPod.client.callTool({ name: "echo", arguments: { message: `m${i}` } })).toEqual(
          expectedEchoes(12)[i],
        );
      await Promise.all([onNewPod.client, ...others].map((c) => c.close().catch(() => {})));
      const afterMetrics = await metricsOf(ips);
      const delta = (metric: string, labels: Record<string, string>) =>
        total(afterMetrics, metric, labels) - total(beforeMetrics, metric, labels);
      expect(delta("mcp_requests_total", { method: "tools/call", status: "ok" })).toBe(12);
      expect(delta("mcp_requests_total", { status: "error" })).toBe(0);
      // Forwarded to the new pod by the others (counted by the forwarding pods).
      const newPodIndex = ips.indexOf(newIp);
      const forwardedByOthers = afterMetrics.reduce(
        (sum, points, i) =>
          i === newPodIndex
            ? sum
            : sum +
              sampleValue(points, "mcp_replica_forwards_total") -
              sampleValue(beforeMetrics[i] as MetricPoint[], "mcp_replica_forwards_total"),
        0,
      );
      expect(forwardedByOthers).toBeGreaterThan(0);
    } finally {
      await scaleTo("rep-http", 3);
    }
  });

  for (const name of ["rep-http", "rep-stdio"] as const) {
    for (let round = 1; round <= deletionRounds; round++) {
      it(`${name}: a pod deleted mid-session ends its sessions with 404; the others carry on${deletionRounds > 1 ? ` (round ${round})` : ""}`, async () => {
        const url = await serviceUrl(name);
        // A round after a deletion (or a scale-down) starts once the replacement is ready and the old pod gone.
        const ips = await waitFor(
          `${name}: ${replicas} ready pods`,
          async () => {
            const deployment = await cluster
              .kubeConfig()
              .makeApiClient(AppsV1Api)
              .readNamespacedDeployment({ name, namespace: workloadNamespace });
            const live = await podIpsOf(name);
            // No pod still terminating either (a scale-down's keeps serving through its preStop sleep).
            const all = await cluster
              .kubeConfig()
              .makeApiClient(CoreV1Api)
              .listNamespacedPod({ namespace: workloadNamespace, labelSelector: `mcpscope.dev/server=${name}` });
            return (
              deployment.status?.readyReplicas === replicas &&
              live.length === replicas &&
              all.items.length === replicas &&
              live
            );
          },
          180_000,
        );
        const open = await sessionsOnEveryPod(url, ips);
        const doomed = ips[0] as string;
        const pods = await cluster
          .kubeConfig()
          .makeApiClient(CoreV1Api)
          .listNamespacedPod({ namespace: workloadNamespace, fieldSelector: `status.podIP=${doomed}` });
        const podName = pods.items[0]?.metadata?.name as string;
        await kubectl(["-n", workloadNamespace, "delete", "pod", podName, "--wait=true", "--timeout=120s"]);
        const outcomes = await Promise.all(
          open.map(async ({ client, pod }) => {
            try {
              const result = await client.callTool({ name: "echo", arguments: { message: "m0" } });
              return { pod, ok: result };
            } catch (error) {
              return { pod, failed: (error as { code?: number }).code, message: String(error) };
            }
          }),
        );
        // A container restarted mid-test (killed for memory, say) loses its sessions: name it first.
        const restarts = (
          await cluster
            .kubeConfig()
            .makeApiClient(CoreV1Api)
            .listNamespacedPod({ namespace: workloadNamespace, labelSelector: `mcpscope.dev/server=${name}` })
        ).items.flatMap((p) =>
          (p.status?.containerStatuses ?? [])
            .filter((c) => c.restartCount > 0)
            .map(
              (c) =>
                `${p.status?.podIP} ${c.name}: ${c.restartCount} restarts, last ${c.lastState?.terminated?.reason}`,
            ),
        );
        expect(restarts, `sessions per pod: ${JSON.stringify(open.map((o) => o.pod))}`).toEqual([]);
        for (const outcome of outcomes) {
          if (outcome.pod === doomed)
            expect(outcome).toMatchObject({ failed: 404, message: expect.stringContaining("MCPSCOPE_REPLICA_GONE") });
          else expect(outcome).toEqual({ pod: outcome.pod, ok: expectedEchoes(1)[0] });
        }
        await Promise.all(open.map(({ client }) => client.close().catch(() => {})));
        // The survivors and the Deployment's replacement pod (which may not serve metrics yet).
        const live = (await podIpsOf(name)).filter((ip) => ip !== doomed);
        const perPod = await Promise.all(
          live.map((ip) => readMetrics(`http://${ip}:9464/metrics`).catch((): MetricPoint[] => [])),
        );
        const gone = total(perPod, "mcp_sidecar_errors_total", { reason: "replica_gone" });
        expect(gone).toBeGreaterThanOrEqual(outcomes.filter((o) => o.pod === doomed).length);
      });
    }
  }
});
