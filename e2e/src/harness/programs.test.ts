import { describe, expect, it } from "vitest";
import { runProgram, stdoutOf } from "./programs.js";

describe("runProgram", () => {
  it("returns the exit code and output of a program that never reads its stdin, however much input it was given", async () => {
    // 8 MiB is far beyond the pipe's buffer: the write is still under way when `sh` exits and closes it (EPIPE).
    const input = "x".repeat(8 * 1024 * 1024);
    for (let round = 0; round < 5; round++) {
      const result = await runProgram("sh", ["-c", "echo gone; exit 3"], { input });
      expect(result).toEqual({ code: 3, stdout: "gone\n", stderr: "" });
    }
  });

  it("feeds the input to a program that reads it", async () => {
    const result = await runProgram("wc", ["-c"], { input: "12345" });
    expect(stdoutOf(result, "wc").trim()).toBe("5");
  });

  it("reports a program that cannot start with a non-zero code instead of throwing", async () => {
    const result = await runProgram("/nonexistent/program", []);
    expect(result.code).not.toBe(0);
  });
});
