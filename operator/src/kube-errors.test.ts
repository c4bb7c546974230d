import { describe, expect, it } from "vitest";
import { orUndefinedIfAbsent } from "./kube-errors.js";

describe("orUndefinedIfAbsent", () => {
  it("turns a 404 into undefined and passes values and other errors through", async () => {
    await expect(orUndefinedIfAbsent(Promise.resolve(1))).resolves.toBe(1);
    await expect(orUndefinedIfAbsent(Promise.reject(Object.assign(new Error("gone"), { code: 404 })))).resolves.toBe(
      undefined,
    );
    await expect(orUndefinedIfAbsent(Promise.reject(Object.assign(new Error("no"), { code: 403 })))).rejects.toThrow(
      "no",
    );
  });
});
