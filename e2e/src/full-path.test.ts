import { inject } from "vitest";
import { startKindCluster } from "./cluster/kind-cluster.js";
import { startLocalCluster } from "./cluster/local-cluster.js";
import { fullPathSuite } from "./full-path.suite.js";

// The local provider (no kubelet: pods run as processes), or kind with MCPSCOPE_E2E_CLUSTER=kind.
fullPathSuite((phases) =>
  process.env.MCPSCOPE_E2E_CLUSTER === "kind"
    ? startKindCluster({ KIND: "kind", DOCKER: "docker", KUBECTL: "kubectl", HELM: inject("tools").HELM }, phases)
    : startLocalCluster(inject("tools"), phases),
);
