import { describe, expect, it } from "vitest";
import { leLabelOf, parseSloDurationSeconds, parseSloPercent } from "./objectives.js";

describe("parseSloPercent", () => {
  it.each([
    ["99.9", 0.999],
    ["99", 0.99],
    ["93.75", 0.9375],
    ["5", 0.05],
    ["0.5", 0.005],
    ["99.999", 0.99999],
  ])("reads %s as the ratio %s, the double nearest the written value", (value, ratio) => {
    expect(parseSloPercent(value)).toBe(ratio);
  });

  it.each(["100", "0", "0.0", "", "99.", ".9", "-1", "99,9", "99.9%", "1e1", " 99"])("refuses %j", (value) => {
    expect(parseSloPercent(value)).toBeUndefined();
  });
});

describe("parseSloDurationSeconds", () => {
  it.each([
    ["500ms", 0.5],
    ["300ms", 0.3],
    ["1.5s", 1.5],
    ["2s", 2],
    ["2m", 120],
    ["0.1m", 6],
    ["0.1ms", 0.0001],
    ["250ms", 0.25],
  ])("reads %s as %s seconds", (value, seconds) => {
    expect(parseSloDurationSeconds(value)).toBe(seconds);
  });

  it.each(["0ms", "0s", "0.0m", "500", "ms", "1h", "-1s", "1.s", "1m30s", " 1s", "1 s"])("refuses %j", (value) => {
    expect(parseSloDurationSeconds(value)).toBeUndefined();
  });

  it("gives le labels that read as written", () => {
    expect(["500ms", "300ms", "1.5s", "2m", "0.1ms"].map((v) => leLabelOf(parseSloDurationSeconds(v) ?? 0))).toEqual([
      "0.5",
      "0.3",
      "1.5",
      "120",
      "0.0001",
    ]);
  });
});
