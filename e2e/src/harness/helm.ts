import { fileURLToPath } from "node:url";
import { loadAll } from "js-yaml";
import { type CommandResult, runProgram } from "./programs.js";

export const chartDir = fileURLToPath(new URL("../../../charts/mcpscope", import.meta.url));
/** The Kubernetes version the chart is rendered and tested for (the control plane's). */
export const kubeVersion = "1.35.4";

export interface RenderOptions {
  valuesFiles?: string[];
  set?: Record<string, string>;
  namespace?: string;
  includeCrds?: boolean;
  /** Also render the `helm test` hooks (templates/tests), which `helm install` does not apply. */
  includeTests?: boolean;
}

/** `helm template` of charts/mcpscope as release "mcpscope": what `helm install` applies (no test hooks, unless asked). */
export function helmTemplate(helm: string, options: RenderOptions = {}): Promise<CommandResult> {
  const args = ["template", "mcpscope", chartDir, "--namespace", options.namespace ?? "mcpscope-system"];
  args.push("--kube-version", kubeVersion);
  if (options.includeCrds) args.push("--include-crds");
  if (!options.includeTests) args.push("--skip-tests");
  for (const file of options.valuesFiles ?? []) args.push("--values", file);
  for (const [key, value] of Object.entries(options.set ?? {})) args.push("--set", `${key}=${value}`);
  return runProgram(helm, args);
}

export interface KubeObject {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string; [key: string]: unknown };
  [key: string]: unknown;
}

/** The objects of a multi-document YAML stream (empty documents dropped). */
export function parseObjects(yaml: string): KubeObject[] {
  return (loadAll(yaml) as Array<KubeObject | null>).filter((doc): doc is KubeObject => doc !== null);
}

/** The one object of this kind (and name, when given); throws when absent, so tests fail clearly. */
export function findObject(objects: KubeObject[], kind: string, name?: string): KubeObject {
  const found = objects.find((o) => o.kind === kind && (name === undefined || o.metadata.name === name));
  if (!found) throw new Error(`no ${kind}${name ? ` ${name}` : ""} in the rendered chart`);
  return found;
}

/**
 * `helm install` of the chart as the full-path test installs it on a cluster with a kubelet (kind,
 * node): the e2e image tags, 1 s scrapes, Jaeger on, `--wait` for every Deployment. Pure.
 */
export function e2eInstallArgs(kubeconfigPath: string, set: Record<string, string> = {}): string[] {
  const values = {
    "image.sidecar.tag": "e2e",
    "image.operator.tag": "e2e",
    "prometheus.scrapeInterval": "1s",
    "tracing.jaeger.enabled": "true",
    ...set,
  };
  return [
    "install",
    "mcpscope",
    chartDir,
    "--kubeconfig",
    kubeconfigPath,
    "--namespace",
    "mcpscope-system",
    "--create-namespace",
    "--wait",
    "--timeout",
    "5m",
    ...Object.entries(values).flatMap(([key, value]) => ["--set", `${key}=${value}`]),
  ];
}
