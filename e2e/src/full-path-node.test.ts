import { inject } from "vitest";
import { startNodeCluster } from "./cluster/node-cluster.js";
import { fullPathSuite } from "./full-path.suite.js";

// The chart on a real node: kubelet + containerd + runc + CNI, kube-proxy and CoreDNS, helm install,
// and the chart's own `helm test` (its pod runs there like any other).
fullPathSuite((phases) => startNodeCluster(inject("tools"), phases), { helmTest: true });
