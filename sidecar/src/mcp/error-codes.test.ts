import { ErrorCode } from "@modelcontextprotocol/sdk/types.js";
import { describe, expect, it } from "vitest";
import { callerMistakeErrorTypes, errorTypeOfCode, statusCodeAttribute, WireErrorCode } from "./error-codes.js";

describe("JSON-RPC wire codes", () => {
  it("are the MCP SDK's ErrorCode values", () => {
    for (const [name, code] of Object.entries(WireErrorCode)) {
      if (name === "ResourceNotFound") continue; // the spec's −32002, not in the SDK 1.x enum
      expect({ name, code }).toEqual({ name, code: (ErrorCode as unknown as Record<string, number>)[name] });
    }
  });

  it("name known codes and fold invented ones into other, bounded", () => {
    expect(errorTypeOfCode(-32602)).toBe("invalid_params");
    expect(errorTypeOfCode(-32603)).toBe("internal_error");
    expect(errorTypeOfCode(-31999)).toBe("other");
    expect(errorTypeOfCode(12345)).toBe("other");
    expect(statusCodeAttribute(-32601)).toBe("-32601");
    expect(statusCodeAttribute(7)).toBe("_OTHER");
  });

  it("list the caller's mistakes the conventions do not count as server errors", () => {
    expect([...callerMistakeErrorTypes].sort()).toEqual([
      "invalid_params",
      "invalid_request",
      "method_not_found",
      "parse_error",
      "resource_not_found",
    ]);
  });
});
