import { fileURLToPath } from "node:url";
import { dump } from "js-yaml";
import { buildMcpServerCrd } from "./crd.js";

/** crds/ at the repository root: what users `kubectl apply`. */
export const crdFilePath = fileURLToPath(new URL("../../../crds/mcpscope.dev_mcpservers.yaml", import.meta.url));
/** The chart's copy (Helm installs only from the chart's own crds/); kept identical by a test. */
export const chartCrdFilePath = fileURLToPath(
  new URL("../../../charts/mcpscope/crds/mcpscope.dev_mcpservers.yaml", import.meta.url),
);
export const crdFileHeader =
  "# Generated from operator/src/api/mcpserver.ts by `npm run generate:crds`. Do not edit.\n";

/** The CRD as YAML. js-yaml, not client-node's dumpYaml: its typed serializer drops x-kubernetes-* keys. */
export function crdYaml(): string {
  return dump(buildMcpServerCrd(), { lineWidth: 120, noRefs: true });
}
