import { describe, expect, it } from "vitest";
import { dnsSafeName, shellJoin } from "./names.js";

describe("names", () => {
  it("keeps DNS-1123 names readable and unique when they must be shortened", () => {
    expect(dnsSafeName("Weather_Server")).toBe("weather-server");
    const long = dnsSafeName("x".repeat(80));
    expect(long).toHaveLength(63);
    expect(long).not.toBe(dnsSafeName(`${"x".repeat(79)}y`));
  });

  it("quotes only the words the shell would split", () => {
    expect(shellJoin(["npx", "-y", "@scope/pkg@1.0", "a b"])).toBe("npx -y @scope/pkg@1.0 'a b'");
  });
});
