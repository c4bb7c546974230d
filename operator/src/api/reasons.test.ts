import { readFile } from "node:fs/promises";
import { documentedCodes } from "@mcpscope/sidecar/testing";
import { describe, expect, it } from "vitest";
import { ConditionType, Reason } from "./reasons.js";

const readme = () => readFile(new URL("../../../README.md", import.meta.url), "utf8");
const sorted = (codes: Iterable<string>) => [...codes].sort();

// Both ways: a reason added without its row fails, and so does a row left for a reason that was removed.
describe("the operator's reason registry", () => {
  it("documents exactly the condition and event reasons in the README's table", async () => {
    expect(sorted(documentedCodes(await readme(), "McpServer condition and event reasons"))).toEqual(
      sorted(Object.values(Reason)),
    );
  });

  it("documents exactly the condition types in the README's table", async () => {
    expect(sorted(documentedCodes(await readme(), "McpServer conditions"))).toEqual(
      sorted(Object.values(ConditionType)),
    );
  });
});
