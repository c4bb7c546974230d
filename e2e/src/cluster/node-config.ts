import { dump } from "js-yaml";

/**
 * Where the node provider's one node lives: a working folder, its name and the address pods reach
 * the API server and the kubelet on (an extra address on `lo`: loopback is not reachable from pods,
 * and dummy interfaces are not supported on these machines).
 */
export interface NodeLayout {
  dir: string;
  nodeName: string;
  address: string;
  /** containerd's own socket folder (a separate instance from dockerd's). */
  containerdRun: string;
  bridge: string;
  podSubnet: string;
  clusterCidr: string;
  /** The API server's --service-cluster-ip-range. */
  serviceCidr: string;
  clusterDns: string;
}

export const sandboxImage = "registry.k8s.io/pause:3.10";
export const coreDnsImage = "registry.k8s.io/coredns/coredns:v1.14.7";

export function nodeLayout(dir: string): NodeLayout {
  return {
    dir,
    nodeName: "mcpscope-node",
    address: "10.250.0.1",
    containerdRun: "/run/mcpscope-containerd",
    bridge: "mcpscope0",
    podSubnet: "10.244.0.0/24",
    clusterCidr: "10.244.0.0/16",
    serviceCidr: "10.96.0.0/12",
    clusterDns: "10.96.0.10",
  };
}

export const containerdSocket = (layout: NodeLayout) => `${layout.containerdRun}/containerd.sock`;

/**
 * iptables rules (chain first, for -I/-C/-D) refusing traffic to the service range that kube-proxy
 * did not DNAT: forwarded from pods, dropped in mangle before the CNI plugin's ACCEPTs; sent from
 * this host, reset in filter OUTPUT. Pure.
 */
export function serviceRangeGuards(layout: NodeLayout): string[][] {
  return [
    ["FORWARD", "-t", "mangle", "-d", layout.serviceCidr, "-j", "DROP"],
    ["OUTPUT", "-t", "filter", "-d", layout.serviceCidr, "-p", "tcp", "-j", "REJECT", "--reject-with", "tcp-reset"],
  ];
}

/** containerd with the CRI plugin for the kubelet, runc on cgroupfs, CNI from Debian's plugins. Pure. */
export function containerdConfig(layout: NodeLayout): string {
  return `version = 2
root = "${layout.dir}/containerd/root"
state = "${layout.containerdRun}/state"
[grpc]
  address = "${containerdSocket(layout)}"
[ttrpc]
  address = "${containerdSocket(layout)}.ttrpc"
[debug]
  address = "${layout.containerdRun}/debug.sock"
[plugins."io.containerd.grpc.v1.cri"]
  sandbox_image = "${sandboxImage}"
  enable_unprivileged_ports = true
  enable_unprivileged_icmp = true
  # Root here lacks CAP_SYS_RESOURCE: the negative oom_score_adj the kubelet asks for would make
  # every sandbox fail ("can't get final child's PID from pipe: EOF").
  restrict_oom_score_adj = true
  [plugins."io.containerd.grpc.v1.cri".containerd]
    snapshotter = "overlayfs"
    default_runtime_name = "runc"
    [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc]
      runtime_type = "io.containerd.runc.v2"
      [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc.options]
        SystemdCgroup = false
  [plugins."io.containerd.grpc.v1.cri".cni]
    bin_dir = "/usr/lib/cni"
    conf_dir = "${layout.dir}/cni/net.d"
`;
}

/**
 * The pod network: a bridge with host-local addresses, then `firewall` (dockerd sets the FORWARD
 * policy to DROP; without it pod-to-pod and pod egress time out), then `portmap`. Pure.
 */
export function cniConfList(layout: NodeLayout): string {
  return JSON.stringify(
    {
      cniVersion: "1.0.0",
      name: "mcpscope",
      plugins: [
        {
          type: "bridge",
          bridge: layout.bridge,
          isGateway: true,
          ipMasq: true,
          hairpinMode: true,
          ipam: {
            type: "host-local",
            ranges: [[{ subnet: layout.podSubnet }]],
            routes: [{ dst: "0.0.0.0/0" }],
            dataDir: `${layout.dir}/cni/ipam`,
          },
        },
        { type: "firewall", backend: "iptables" },
        { type: "portmap", capabilities: { portMappings: true } },
      ],
    },
    null,
    2,
  );
}

/** Where the kubelet serves its API, on the node's address. */
export const kubeletPort = 10250;

/** The kubelet: cgroupfs on a cgroup v1 host (1.35 refuses it unless told), webhook auth, cluster DNS. Pure. */
export function kubeletConfiguration(layout: NodeLayout, clientCaFile: string): string {
  return dump({
    apiVersion: "kubelet.config.k8s.io/v1beta1",
    kind: "KubeletConfiguration",
    containerRuntimeEndpoint: `unix://${containerdSocket(layout)}`,
    cgroupDriver: "cgroupfs",
    failCgroupV1: false,
    failSwapOn: false,
    address: layout.address,
    port: kubeletPort,
    healthzBindAddress: "127.0.0.1",
    healthzPort: 10248,
    readOnlyPort: 0,
    authentication: { anonymous: { enabled: false }, webhook: { enabled: true }, x509: { clientCAFile: clientCaFile } },
    authorization: { mode: "Webhook" },
    clusterDomain: "cluster.local",
    clusterDNS: [layout.clusterDns],
    resolvConf: "/etc/resolv.conf",
    // A test VM's disk and memory: never evict or garbage-collect the locally imported images.
    imageGCHighThresholdPercent: 100,
    imageGCLowThresholdPercent: 99,
    evictionHard: { "memory.available": "100Mi", "nodefs.available": "1%", "imagefs.available": "1%" },
    registerNode: true,
    maxPods: 60,
    serializeImagePulls: false,
  });
}

/** kube-proxy in iptables mode, so ClusterIPs route from the host and from pods. Pure. */
export function kubeProxyConfiguration(layout: NodeLayout, kubeconfigPath: string): string {
  return dump({
    apiVersion: "kubeproxy.config.k8s.io/v1alpha1",
    kind: "KubeProxyConfiguration",
    clientConnection: { kubeconfig: kubeconfigPath },
    mode: "iptables",
    clusterCIDR: layout.clusterCidr,
    hostnameOverride: layout.nodeName,
    metricsBindAddress: "127.0.0.1:10249",
    healthzBindAddress: "127.0.0.1:10256",
    conntrack: { maxPerCore: 0 },
    iptables: { localhostNodePorts: false },
  });
}

/** CoreDNS as kubeadm installs it (kube-dns Service on clusterDns), forwarding the rest to the host. Pure. */
export function coreDnsObjects(layout: NodeLayout): object[] {
  const labels = { "k8s-app": "kube-dns" };
  const namespace = "kube-system";
  return [
    { apiVersion: "v1", kind: "ServiceAccount", metadata: { name: "coredns", namespace } },
    {
      apiVersion: "rbac.authorization.k8s.io/v1",
      kind: "ClusterRole",
      metadata: { name: "system:coredns" },
      rules: [
        { apiGroups: [""], resources: ["endpoints", "services", "pods", "namespaces"], verbs: ["list", "watch"] },
        { apiGroups: ["discovery.k8s.io"], resources: ["endpointslices"], verbs: ["list", "watch"] },
      ],
    },
    {
      apiVersion: "rbac.authorization.k8s.io/v1",
      kind: "ClusterRoleBinding",
      metadata: { name: "system:coredns" },
      roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "ClusterRole", name: "system:coredns" },
      subjects: [{ kind: "ServiceAccount", name: "coredns", namespace }],
    },
    {
      apiVersion: "v1",
      kind: "ConfigMap",
      metadata: { name: "coredns", namespace },
      data: {
        Corefile: [
          ".:53 {",
          "    errors",
          "    health :8080",
          "    ready :8181",
          "    kubernetes cluster.local in-addr.arpa ip6.arpa {",
          "       pods insecure",
          "       fallthrough in-addr.arpa ip6.arpa",
          "       ttl 30",
          "    }",
          "    forward . /etc/resolv.conf",
          "    cache 30",
          "    loop",
          "    reload",
          "}",
          "",
        ].join("\n"),
      },
    },
    {
      apiVersion: "apps/v1",
      kind: "Deployment",
      metadata: { name: "coredns", namespace, labels },
      spec: {
        replicas: 1,
        selector: { matchLabels: labels },
        template: {
          metadata: { labels },
          spec: {
            serviceAccountName: "coredns",
            dnsPolicy: "Default",
            containers: [
              {
                name: "coredns",
                image: coreDnsImage,
                imagePullPolicy: "Never",
                args: ["-conf", "/etc/coredns/Corefile"],
                ports: [
                  { containerPort: 53, name: "dns", protocol: "UDP" },
                  { containerPort: 53, name: "dns-tcp", protocol: "TCP" },
                ],
                livenessProbe: { httpGet: { path: "/health", port: 8080 }, periodSeconds: 10 },
                readinessProbe: { httpGet: { path: "/ready", port: 8181 }, periodSeconds: 2 },
                volumeMounts: [{ name: "config", mountPath: "/etc/coredns", readOnly: true }],
              },
            ],
            volumes: [{ name: "config", configMap: { name: "coredns" } }],
          },
        },
      },
    },
    {
      apiVersion: "v1",
      kind: "Service",
      metadata: { name: "kube-dns", namespace, labels },
      spec: {
        clusterIP: layout.clusterDns,
        selector: labels,
        ports: [
          { name: "dns", port: 53, protocol: "UDP" },
          { name: "dns-tcp", port: 53, protocol: "TCP" },
        ],
      },
    },
  ];
}
