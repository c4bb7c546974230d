import { describe, expect, it } from "vitest";
import { LabelSets } from "./label-sets.js";

describe("LabelSets", () => {
  it("makes a value once per combination of label values and gives the same one back", () => {
    const made: (string | undefined)[][] = [];
    const sets = new LabelSets(3, (values) => {
      made.push([...values]);
      return { values: [...values] };
    });
    const first = sets.of(["tools/call", "error", "tool_error"]);
    expect(sets.of(["tools/call", "error", "tool_error"])).toBe(first);
    expect(sets.of(["tools/call", "ok", undefined])).not.toBe(first);
    expect(made).toEqual([
      ["tools/call", "error", "tool_error"],
      ["tools/call", "ok", undefined],
    ]);
  });

  it("tells undefined from every string, and a value from the same value at another position", () => {
    const sets = new LabelSets(2, (values) => values.join("|"));
    expect(sets.of(["a", undefined])).toBe("a|");
    expect(sets.of(["a", ""])).toBe("a|");
    expect(sets.of([undefined, "a"])).toBe("|a");
    expect(sets.values()).toEqual(["a|", "a|", "|a"]);
    expect(sets.values()).toHaveLength(3);
  });

  it("lists every value in the order first seen, for a collection callback to read", () => {
    const sets = new LabelSets(1, ([method]) => ({ method, count: 0 }));
    for (const method of ["ping", "tools/list", "ping", "tools/call", "ping"]) sets.of([method]).count += 1;
    expect(sets.values()).toEqual([
      { method: "ping", count: 3 },
      { method: "tools/list", count: 1 },
      { method: "tools/call", count: 1 },
    ]);
  });

  it("refuses a lookup with the wrong number of label values, and a depth below one", () => {
    const sets = new LabelSets(2, () => 0);
    expect(() => sets.of(["only one"])).toThrow(/1 label values given, 2 expected/);
    expect(() => new LabelSets(0, () => 0)).toThrow(RangeError);
  });
});
