import { describe, expect, it } from "vitest";
import { jsonCostOf, textCostOf } from "./json-cost.js";
import { estimateTokens } from "./token-estimate.js";

describe("jsonCostOf", () => {
  it("prices a value as its compact JSON: UTF-8 bytes exactly, tokens estimated", () => {
    const result = { content: [{ type: "text", text: "Température à Paris : 12 °C" }], isError: false };
    const json = '{"content":[{"type":"text","text":"Température à Paris : 12 °C"}],"isError":false}';
    expect(jsonCostOf(result)).toEqual({ bytes: Buffer.byteLength(json, "utf8"), tokens: estimateTokens(json) });
    expect(jsonCostOf(result).bytes).toBeGreaterThan(json.length);
  });

  it("prices what JSON cannot write as null", () => {
    expect(jsonCostOf(undefined)).toEqual(textCostOf("null"));
  });
});
