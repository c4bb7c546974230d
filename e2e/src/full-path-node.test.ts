import { inject } from "vitest";
import { startNodeCluster } from "./cluster/node-cluster.js";
import { fullPathSuite } from "./full-path.suite.js";

// The chart on a real node: kubelet + containerd + runc + CNI, kube-proxy and CoreDNS, helm install.
fullPathSuite((phases) => startNodeCluster(inject("tools"), phases));
