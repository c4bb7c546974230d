import { execFileSync } from "node:child_process";
import { fileURLToPath } from "node:url";

const root = fileURLToPath(new URL("../../../", import.meta.url));

/** Paths of the real programs the tests and benchmarks run, as e2e/tools/setup.sh reports them. */
export interface ToolPaths {
  OTELCOL: string;
  PROMETHEUS: string;
  PROMTOOL: string;
  KUBE_APISERVER: string;
  KUBE_CONTROLLER_MANAGER: string;
  ETCD: string;
  /** The node provider's kubelet, kube-scheduler and kube-proxy (same module as the control plane). */
  KUBELET: string;
  KUBE_SCHEDULER: string;
  KUBE_PROXY: string;
  /** CoreDNS, built from its Go module: the node provider's cluster DNS. */
  COREDNS: string;
  KUBECTL: string;
  HELM: string;
  /** helm-docs: the chart README's values table from values.yaml's `# --` comments. */
  HELM_DOCS: string;
  /** Compose v1 (Debian's docker-compose), kept for machines that still use it. */
  DOCKER_COMPOSE: string;
  /**
   * A DOCKER_CONFIG whose cli-plugins/ holds the Compose v2 plugin built by setup.sh, for
   * `docker compose`; empty where the machine's own `docker compose` works.
   */
  DOCKER_CONFIG_COMPOSE: string;
  /** Jaeger v2, the optional trace store (built from its Go module). */
  JAEGER: string;
  /** A Python with the `mcp` SDK installed (e2e/python/requirements.txt). */
  PYTHON_MCP: string;
}

/** Runs e2e/tools/setup.sh (builds or installs what is missing, once per machine) and reads its report. */
export function setupTools(): ToolPaths {
  const output = execFileSync("bash", ["e2e/tools/setup.sh"], {
    cwd: root,
    stdio: ["ignore", "pipe", "inherit"],
  }).toString();
  return Object.fromEntries(
    output
      .split("\n")
      .filter((line) => /^[A-Z_]+=/.test(line))
      .map((line) => [line.slice(0, line.indexOf("=")), line.slice(line.indexOf("=") + 1)]),
  ) as unknown as ToolPaths;
}
