import { describe, expect, it } from "vitest";
import { entrypointOf, runAsNonRootRefusal, userOf } from "./dockerfile.js";

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

describe("userOf", () => {
  it("reads the last USER of the last stage, empty when none", () => {
    expect(userOf("FROM a\nUSER build\nFROM b\nUSER node\nUSER 1000:1000\n")).toBe("1000:1000");
    expect(userOf("FROM a\nUSER node\nFROM b\nCMD x\n")).toBe("");
  });
});

describe("runAsNonRootRefusal (the kubelet's verifyRunAsNonRoot)", () => {
  it("refuses a named image user that no runAsUser overrides, as the kubelet did with USER node", () => {
    expect(runAsNonRootRefusal({ runAsNonRoot: true }, {}, "node")).toBe(
      "container has runAsNonRoot and image has non-numeric user (node), cannot verify user is non-root",
    );
  });

  it("accepts a numeric non-zero image user, or a non-zero runAsUser from container or pod", () => {
    expect(runAsNonRootRefusal(undefined, { runAsNonRoot: true }, "1000:1000")).toBeUndefined();
    expect(runAsNonRootRefusal({ runAsNonRoot: true, runAsUser: 1000 }, {}, "node")).toBeUndefined();
    expect(runAsNonRootRefusal({ runAsNonRoot: true }, { runAsUser: 1000 }, "")).toBeUndefined();
  });

  it("refuses root, by image or by runAsUser; ignores images when runAsNonRoot is off", () => {
    expect(runAsNonRootRefusal({ runAsNonRoot: true }, {}, "")).toBe(
      "container has runAsNonRoot and image will run as root",
    );
    expect(runAsNonRootRefusal({}, { runAsNonRoot: true, runAsUser: 0 }, "1000")).toBe(
      "container's runAsUser breaks non-root policy",
    );
    expect(runAsNonRootRefusal({ runAsNonRoot: true }, { runAsNonRoot: false }, "node")).toBeUndefined();
  });
});
