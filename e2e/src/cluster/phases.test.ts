import { describe, expect, it } from "vitest";
import { formatReport, PhaseTimer } from "./phases.js";

describe("PhaseTimer and formatReport", () => {
  it("records phases in order, also when one throws, and reports them with a total", async () => {
    const timer = new PhaseTimer();
    await timer.time("first", async () => "ok");
    await expect(timer.time("second", async () => Promise.reject(new Error("boom")))).rejects.toThrow("boom");
    expect(timer.phases.map((p) => p.name)).toEqual(["first", "second"]);
    const report = formatReport("run", { node: "v24" }, [
      { name: "a", ms: 1500 },
      { name: "b", ms: 250 },
    ]);
    expect(report.split("\n")).toEqual([
      "── run ──",
      "components:",
      "  node        v24",
      "phases:",
      "  a              1.5 s",
      "  b              0.3 s",
      "  total          1.8 s",
    ]);
  });
});
