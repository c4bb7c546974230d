import { describe, expect, it } from "vitest";
import { entrypointOf } from "./dockerfile.js";

describe("entrypointOf", () => {
  it("reads the exec-form ENTRYPOINT of the last stage", () => {
    const dockerfile =
      'FROM a AS build\nENTRYPOINT ["build"]\n\nFROM b\nUSER node\nENTRYPOINT ["node", "--flag", "main.js"]\n';
    expect(entrypointOf(dockerfile)).toEqual(["node", "--flag", "main.js"]);
  });

  it("rejects a shell-form or missing ENTRYPOINT", () => {
    expect(() => entrypointOf("FROM a\nENTRYPOINT node main.js\n")).toThrow("no exec-form ENTRYPOINT");
  });
});
