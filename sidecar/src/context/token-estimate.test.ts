import { describe, expect, it } from "vitest";
import { estimateTokens } from "./token-estimate.js";

// The estimator's accuracy against o200k_base on real servers' catalogues and results is checked in
// e2e/src/token-estimate-o200k.test.ts; these tests pin how each kind of text is priced.

describe("estimateTokens", () => {
  it("prices nothing at nothing", () => {
    expect(estimateTokens("")).toBe(0);
  });

  it("prices a short English word after a space as one token, a long one by its length", () => {
    expect(estimateTokens(" weather")).toBe(1);
    expect(estimateTokens(" internationalization")).toBe(1 + Math.round((20 - 8) / 4));
  });

  it("splits camelCase identifiers into humps, as o200k's pre-tokenizer does", () => {
    // "input" + "Schema": two pieces of 1 + letters / 11 each; lower case alone is one piece.
    expect(estimateTokens("inputSchema")).toBe(Math.round(1 + 5 / 11 + (1 + 6 / 11)));
    expect(estimateTokens("inputschema")).toBe(Math.round(1 + 11 / 11));
    expect(estimateTokens("HTTPServer")).toBe(Math.round(1 + 10 / 11));
  });

  it("prices digits in groups of up to three", () => {
    expect(estimateTokens("7")).toBe(1);
    expect(estimateTokens("123")).toBe(1);
    expect(estimateTokens("1234567")).toBe(3);
  });

  it("prices JSON punctuation runs as about one token each", () => {
    // {"  type  ":"  object  "}
    expect(estimateTokens('{"type":"object"}')).toBe(
      Math.round(0.7 + 2 / 15 + 1 + 4 / 11 + 0.7 + 3 / 15 + 1 + 6 / 11 + 0.7 + 2 / 15),
    );
  });

  it("prices a base64 run by its length, not as words", () => {
    const base64 = Buffer.from(Array.from({ length: 300 }, (_, i) => (i * 37) % 256)).toString("base64");
    expect(base64.length).toBe(400);
    expect(estimateTokens(base64)).toBe(Math.round(400 / 1.7));
    // A long path is not base64 (no upper case and digits mixed in): priced as words.
    const path = "/var/lib/mcpscope/servers/weather/forecasts/tomorrow/morning";
    expect(estimateTokens(path)).toBeLessThan(path.length / 3);
  });

  it("prices CJK characters apart from word length", () => {
    expect(estimateTokens("上下文窗口")).toBe(3);
  });

  it("is about additive over the tools of a catalogue", () => {
    const a = JSON.stringify({ name: "get_weather", description: "Current weather for a city" });
    const b = JSON.stringify({ name: "get_forecast", description: "Forecast for the next five days" });
    const whole = estimateTokens(`[${a},${b}]`);
    expect(Math.abs(whole - (estimateTokens(a) + estimateTokens(b)))).toBeLessThanOrEqual(2);
  });

  it("scans in linear time: a megabyte without a single break ends", () => {
    // Each hump would rescan the run for base64 if the look-ahead were not remembered.
    // Pieces "a", then "Ba" 499,999 times, then "B".
    expect(estimateTokens("aB".repeat(500_000))).toBe(Math.round(2 * (1 + 1 / 11) + 499_999 * (1 + 2 / 11)));
  });

  it("takes any string, including lone surrogates and control characters", () => {
    expect(estimateTokens("\ud800 \u0000\u001f\t\n\r  \udc00")).toBeGreaterThan(0);
  });
});
