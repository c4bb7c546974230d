import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { estimateTokens, sampledAbove } from "./token-estimate.js";

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

  it("scans in linear time: a text without a single break ends", () => {
    // Each hump would rescan the run for base64 if the look-ahead were not remembered.
    // Pieces "a", then "Ba" 8,191 times, then "B".
    const pairs = sampledAbove / 2;
    expect(estimateTokens("aB".repeat(pairs))).toBe(Math.round(2 * (1 + 1 / 11) + (pairs - 1) * (1 + 2 / 11)));
  });

  it("prices a text longer than it scans from windows, scaled to its length", () => {
    // A megabyte of humps: every window holds the same pieces as the whole.
    const whole = 2 * (1 + 1 / 11) + 499_999 * (1 + 2 / 11);
    expect(Math.abs(estimateTokens("aB".repeat(500_000)) / whole - 1)).toBeLessThan(0.01);
  });

  it("prices long real texts from windows within 5 % of scanning them whole", () => {
    // Whole: the sum over pieces short enough to be scanned (pieces cut at line ends, as tokens are).
    const scannedWhole = (text: string) => {
      let total = 0;
      let piece = "";
      for (const line of text.split(/(?<=\n)/)) {
        if (piece.length + line.length > sampledAbove) {
          total += estimateTokens(piece);
          piece = "";
        }
        piece += line;
      }
      return total + estimateTokens(piece);
    };
    // Texts the lock file pins (the repository's own files change with every edit): a README with prose,
    // tables and code, a JSON document, TypeScript declarations.
    const installed = (path: string) => readFileSync(new URL(`../../../node_modules/${path}`, import.meta.url), "utf8");
    const texts = {
      "undici's README (prose, tables, code)": installed("undici/README.md"),
      "protobuf's descriptor (JSON)": installed("protobufjs/google/protobuf/descriptor.json"),
      "the MCP SDK's types (TypeScript)": installed("@modelcontextprotocol/sdk/dist/esm/types.d.ts"),
      "a PNG-sized base64 run in JSON": JSON.stringify({
        content: [{ type: "image", data: readFileSync(process.execPath).subarray(0, 60_000).toString("base64") }],
      }),
    };
    for (const [label, text] of Object.entries(texts)) {
      expect(text.length, label).toBeGreaterThan(sampledAbove);
      const error = estimateTokens(text) / scannedWhole(text) - 1;
      expect(Math.abs(error), `${label}: ${(error * 100).toFixed(1)} %`).toBeLessThan(0.05);
    }
  });

  it("takes any string, including lone surrogates and control characters", () => {
    expect(estimateTokens("\ud800 \u0000\u001f\t\n\r  \udc00")).toBeGreaterThan(0);
  });
});
