import { describe, expect, it } from "vitest";
import { withoutCredentials } from "./upstream-label.js";

describe("withoutCredentials", () => {
  it("drops user and password so error messages sent to clients never carry them", () => {
    expect(withoutCredentials("http://admin:s3cret@db-mcp:3001/base")).toBe("http://db-mcp:3001/base");
    expect(withoutCredentials("http://weather:3001")).toBe("http://weather:3001");
  });
});
