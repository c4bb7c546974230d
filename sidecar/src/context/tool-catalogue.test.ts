import { describe, expect, it } from "vitest";
import { estimateTokens } from "./token-estimate.js";
import { ToolCatalogueAssembler } from "./tool-catalogue.js";

const tool = (name: string, description = `The ${name} tool`) => ({
  name,
  description,
  inputSchema: { type: "object", properties: { city: { type: "string" } } },
});

describe("ToolCatalogueAssembler", () => {
  it("prices a one-page list as its compact JSON tools array, and each definition alone", () => {
    const tools = [tool("weather"), tool("forecast", "Forecast — ünïcode costs more bytes")];
    const catalogue = new ToolCatalogueAssembler().page("s1", undefined, { tools });
    const whole = JSON.stringify(tools);
    expect(catalogue).toEqual({
      bytes: Buffer.byteLength(whole),
      tokens: estimateTokens(whole),
      tools: tools.map((t) => ({
        name: t.name,
        bytes: Buffer.byteLength(JSON.stringify(t)),
        tokens: estimateTokens(JSON.stringify(t)),
      })),
    });
  });

  it("completes a paginated list at the first page without nextCursor, as one array of every page", () => {
    const assembler = new ToolCatalogueAssembler();
    const pages = [[tool("a"), tool("b")], [tool("c")], [tool("d"), tool("e")]];
    expect(assembler.page("s1", undefined, { tools: pages[0], nextCursor: "p2" })).toBeUndefined();
    expect(assembler.page("s1", "p2", { tools: pages[1], nextCursor: "p3" })).toBeUndefined();
    const catalogue = assembler.page("s1", "p3", { tools: pages[2] });
    const all = pages.flat();
    expect(catalogue?.tools.map((t) => t.name)).toEqual(["a", "b", "c", "d", "e"]);
    expect(catalogue?.bytes).toBe(Buffer.byteLength(JSON.stringify(all)));
    expect(catalogue?.tokens).toBe(estimateTokens(JSON.stringify(all)));
    expect(assembler.partialLists).toBe(0);
  });

  it("keeps lists of different sessions apart even when their cursors are equal", () => {
    const assembler = new ToolCatalogueAssembler();
    assembler.page("alice", undefined, { tools: [tool("a1")], nextCursor: "2" });
    assembler.page("bob", undefined, { tools: [tool("b1"), tool("b2")], nextCursor: "2" });
    expect(assembler.page("bob", "2", { tools: [tool("b3")] })?.tools.map((t) => t.name)).toEqual(["b1", "b2", "b3"]);
    expect(assembler.page("alice", "2", { tools: [tool("a2")] })?.tools.map((t) => t.name)).toEqual(["a1", "a2"]);
  });

  it("ignores a page whose earlier pages it did not see", () => {
    expect(new ToolCatalogueAssembler().page("s1", "p2", { tools: [tool("c")] })).toBeUndefined();
  });

  it("drops lists in progress when the tools change, so old and new pages never mix", () => {
    const assembler = new ToolCatalogueAssembler();
    assembler.page("s1", undefined, { tools: [tool("old")], nextCursor: "p2" });
    assembler.invalidate();
    expect(assembler.page("s1", "p2", { tools: [tool("new")] })).toBeUndefined();
    expect(assembler.page("s1", undefined, { tools: [tool("new")] })?.tools.map((t) => t.name)).toEqual(["new"]);
  });

  it("holds a bounded number of unfinished lists, forgetting the oldest", () => {
    const assembler = new ToolCatalogueAssembler(2);
    for (const scope of ["s1", "s2", "s3"]) assembler.page(scope, undefined, { tools: [tool(scope)], nextCursor: "n" });
    expect(assembler.partialLists).toBe(2);
    expect(assembler.page("s1", "n", { tools: [] })).toBeUndefined();
    expect(assembler.page("s3", "n", { tools: [] })?.tools.map((t) => t.name)).toEqual(["s3"]);
  });

  it("counts definitions without a name in the totals, with no name", () => {
    const catalogue = new ToolCatalogueAssembler().page("", undefined, { tools: [{ description: "x" }, 7] });
    expect(catalogue?.tools.map((t) => t.name)).toEqual([undefined, undefined]);
    expect(catalogue?.bytes).toBe(Buffer.byteLength('[{"description":"x"},7]'));
  });

  it("prices an empty catalogue as []", () => {
    expect(new ToolCatalogueAssembler().page("", undefined, { tools: [] })).toEqual({ bytes: 2, tokens: 1, tools: [] });
  });

  it("answers nothing for a result that is not a tools/list result", () => {
    const assembler = new ToolCatalogueAssembler();
    for (const result of [undefined, null, "tools", { tools: "x" }, { content: [] }]) {
      expect(assembler.page("", undefined, result)).toBeUndefined();
    }
  });
});
