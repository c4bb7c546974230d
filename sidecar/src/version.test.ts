import { readFile } from "node:fs/promises";
import { describe, expect, it } from "vitest";
import { mcpscopeVersion } from "./version.js";

const read = (path: string) => readFile(new URL(path, import.meta.url), "utf8");
const packageVersion = async (path: string) => (JSON.parse(await read(path)) as { version: string }).version;

describe("the release version", () => {
  it("is the one the packages and the chart's appVersion say", async () => {
    const chart = await read("../../charts/mcpscope/Chart.yaml");
    expect({
      sidecar: await packageVersion("../package.json"),
      operator: await packageVersion("../../operator/package.json"),
      chartAppVersion: /^appVersion:\s*"?([^"\s]+)"?\s*$/m.exec(chart)?.[1],
    }).toEqual({ sidecar: mcpscopeVersion, operator: mcpscopeVersion, chartAppVersion: mcpscopeVersion });
  });
});
