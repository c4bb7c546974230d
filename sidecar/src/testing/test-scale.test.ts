import { describe, expect, it } from "vitest";
import { scaled } from "./test-scale.js";

describe("scaled", () => {
  it("runs the whole number unless the quick loop asks for fewer", () => {
    expect(scaled(1_000, 200, {})).toBe(1_000);
    expect(scaled(1_000, 200, { MCPSCOPE_TEST_SCALE: "full" })).toBe(1_000);
    expect(scaled(1_000, 200, { MCPSCOPE_TEST_SCALE: "quick" })).toBe(200);
  });
});
