import { load } from "js-yaml";
import { describe, expect, it } from "vitest";
import {
  cniConfList,
  containerdConfig,
  coreDnsObjects,
  kubeletConfiguration,
  kubeProxyConfiguration,
  nodeLayout,
  serviceRangeGuards,
} from "./node-config.js";

const layout = nodeLayout("/tmp/node-x");

describe("the node provider's configuration", () => {
  it("runs its own containerd (own socket and root) that cannot ask for negative oom_score_adj", () => {
    const toml = containerdConfig(layout);
    expect(toml).toContain('address = "/run/mcpscope-containerd/containerd.sock"');
    expect(toml).toContain('root = "/tmp/node-x/containerd/root"');
    expect(toml).toContain("restrict_oom_score_adj = true");
    expect(toml).toContain("SystemdCgroup = false");
    expect(toml).toContain('sandbox_image = "registry.k8s.io/pause:3.10"');
  });

  it("chains bridge, then firewall (dockerd's FORWARD policy is DROP), then portmap", () => {
    const conf = JSON.parse(cniConfList(layout)) as { plugins: Array<{ type: string; ipam?: { ranges: unknown } }> };
    expect(conf.plugins.map((p) => p.type)).toEqual(["bridge", "firewall", "portmap"]);
    expect(conf.plugins[0]?.ipam?.ranges).toEqual([[{ subnet: "10.244.0.0/24" }]]);
  });

  it("configures the kubelet for a cgroup v1 host, webhook auth and the cluster DNS", () => {
    const config = load(kubeletConfiguration(layout, "/ca.crt")) as Record<string, unknown>;
    expect(config).toMatchObject({
      cgroupDriver: "cgroupfs",
      failCgroupV1: false,
      address: "10.250.0.1",
      clusterDNS: ["10.96.0.10"],
      authentication: { anonymous: { enabled: false }, webhook: { enabled: true }, x509: { clientCAFile: "/ca.crt" } },
      authorization: { mode: "Webhook" },
      containerRuntimeEndpoint: "unix:///run/mcpscope-containerd/containerd.sock",
    });
    expect(load(kubeProxyConfiguration(layout, "/kp.kubeconfig"))).toMatchObject({
      mode: "iptables",
      clusterCIDR: "10.244.0.0/16",
      clientConnection: { kubeconfig: "/kp.kubeconfig" },
    });
  });

  it("puts CoreDNS's Service on the kubelet's clusterDNS address", () => {
    const service = coreDnsObjects(layout).find((o) => (o as { kind: string }).kind === "Service") as {
      spec: { clusterIP: string };
    };
    expect(service.spec.clusterIP).toBe(layout.clusterDns);
  });

  it("guards the service range against traffic kube-proxy did not DNAT, from pods and from the host", () => {
    expect(serviceRangeGuards(layout)).toEqual([
      ["FORWARD", "-t", "mangle", "-d", "10.96.0.0/12", "-j", "DROP"],
      ["OUTPUT", "-t", "filter", "-d", "10.96.0.0/12", "-p", "tcp", "-j", "REJECT", "--reject-with", "tcp-reset"],
    ]);
  });
});
