import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { buildMcpServerCrd } from "@mcpscope/operator";
import { load } from "js-yaml";
import { describe, expect, inject, it } from "vitest";
import { chartDir, helmTemplate, parseObjects } from "./harness/helm.js";
import { runProgram } from "./harness/programs.js";

const chartFile = async (name: string) => readFile(join(chartDir, name), "utf8");

/** The rows of the README's values table: key, type, default, description. */
function valueRows(readme: string): string[][] {
  const section = readme.slice(readme.indexOf("## Values"));
  return section
    .split("\n")
    .filter((line) => line.startsWith("| ") && !line.startsWith("| Key ") && !line.startsWith("|-"))
    .map((line) =>
      line
        .slice(1, -1)
        .split(" | ")
        .map((cell) => cell.trim()),
    );
}

/** Every key path of values.yaml that holds a value (maps are walked into; lists and scalars are leaves). */
function leafPaths(values: unknown, prefix = ""): string[] {
  if (typeof values !== "object" || values === null || Array.isArray(values)) return [prefix];
  const entries = Object.entries(values);
  if (entries.length === 0) return [prefix];
  return entries.flatMap(([key, value]) => leafPaths(value, prefix ? `${prefix}.${key}` : key));
}

describe("the chart's README", () => {
  it("is what helm-docs renders from README.md.gotmpl, Chart.yaml and values.yaml (run `npm run generate:chart-readme`)", async () => {
    const rendered = await runProgram(inject("tools").HELM_DOCS, [
      "--chart-search-root",
      chartDir,
      "--dry-run",
      "--log-level",
      "warning",
    ]);
    expect(rendered.stderr).toBe("");
    expect(rendered.code).toBe(0);
    expect(rendered.stdout).toBe(await chartFile("README.md"));
  });

  it("documents every value with its type, default and a description", async () => {
    const rows = valueRows(await chartFile("README.md"));
    expect(rows.length).toBeGreaterThan(40);
    expect(rows.filter((cells) => cells.length !== 4 || cells.some((cell) => cell === ""))).toEqual([]);
    // Every value is covered: by its own row, or by a row for the map it belongs to (resources, image…).
    const documented = rows.map(([key]) => key?.replaceAll("`", "") ?? "");
    const values = leafPaths(load(await chartFile("values.yaml")));
    const undocumented = values.filter((path) => !documented.some((key) => path === key || path.startsWith(`${key}.`)));
    expect(undocumented).toEqual([]);
  });
});

describe("Chart.yaml", () => {
  it("carries home, sources, maintainers, keywords and Artifact Hub annotations", async () => {
    const chart = load(await chartFile("Chart.yaml")) as Record<string, unknown>;
    expect(chart).toMatchObject({
      home: expect.stringMatching(/^https:\/\//),
      sources: [expect.stringMatching(/^https:\/\//)],
      maintainers: [{ name: expect.any(String) }],
      keywords: expect.arrayContaining(["mcp", "observability", "operator"]),
    });
  });

  it("lists in artifacthub.io/crds the CRD the chart ships", async () => {
    const chart = load(await chartFile("Chart.yaml")) as { annotations: Record<string, string> };
    const crd = buildMcpServerCrd() as {
      metadata: { name: string };
      spec: {
        names: { kind: string };
        versions: { name: string; schema: { openAPIV3Schema: { description: string } } }[];
      };
    };
    const version = crd.spec.versions[0];
    expect(load(chart.annotations["artifacthub.io/crds"] ?? "")).toEqual([
      {
        kind: crd.spec.names.kind,
        version: version?.name,
        name: crd.metadata.name,
        displayName: "MCP server",
        description: version?.schema.openAPIV3Schema.description,
      },
    ]);
    const [example] = load(chart.annotations["artifacthub.io/crdsExamples"] ?? "") as { kind: string }[];
    expect(example?.kind).toBe(crd.spec.names.kind);
  });

  it("lists in artifacthub.io/images every image the chart runs with every part on (the helm test pod's too)", async () => {
    const { HELM } = inject("tools");
    const chart = load(await chartFile("Chart.yaml")) as { annotations: Record<string, string> };
    const listed = (load(chart.annotations["artifacthub.io/images"] ?? "") as { image: string }[]).map((i) => i.image);
    const rendered = await helmTemplate(HELM, {
      valuesFiles: [join(chartDir, "ci/all-on-values.yaml")],
      includeTests: true,
    });
    expect(rendered.code).toBe(0);
    const images = new Set<string>();
    for (const object of parseObjects(rendered.stdout)) {
      const text = JSON.stringify(object);
      for (const match of text.matchAll(/"image":"([^"]+)"/g)) images.add(match[1] as string);
      // The operator runs the sidecar image in every McpServer pod and injected pod.
      for (const match of text.matchAll(/"name":"SIDECAR_IMAGE","value":"([^"]+)"/g)) images.add(match[1] as string);
    }
    expect([...listed].sort()).toEqual([...images].sort());
  });
});
