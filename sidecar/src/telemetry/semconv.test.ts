import { describe, expect, it } from "vitest";
import { statusCodeAttribute, WireErrorCode } from "../mcp/error-codes.js";
import { cancelled, type Outcome, ok } from "../mcp/results.js";
import { semconvErrorAttributes, semconvErrorAttributesOf } from "./semconv.js";

describe("semconvErrorAttributes", () => {
  it("records a JSON-RPC code as rpc.response.status_code, and as error.type only for a server's fault", () => {
    expect(
      semconvErrorAttributes({ status: "error", errorType: "internal_error", code: WireErrorCode.InternalError }),
    ).toEqual({ "rpc.response.status_code": "-32603", "error.type": "-32603" });
    expect(
      semconvErrorAttributes({ status: "error", errorType: "invalid_params", code: WireErrorCode.InvalidParams }),
    ).toEqual({ "rpc.response.status_code": "-32602" });
    // A code MCP does not define cannot mint series: it is _OTHER, a server's fault.
    expect(semconvErrorAttributes({ status: "error", errorType: "other", code: 12345 })).toEqual({
      "rpc.response.status_code": "_OTHER",
      "error.type": "_OTHER",
    });
  });

  it("gives other errors their error type, and outcomes that are not errors nothing", () => {
    expect(semconvErrorAttributes({ status: "error", errorType: "tool_error" })).toEqual({
      "error.type": "tool_error",
    });
    expect(semconvErrorAttributes(ok)).toEqual({});
    expect(semconvErrorAttributes(cancelled)).toEqual({});
  });

  it("is what semconvErrorAttributesOf gives for the outcome's bounded parts (the metrics' cached label sets)", () => {
    const outcomes: Outcome[] = [
      ok,
      { status: "error", errorType: "tool_error" },
      ...[...Object.values(WireErrorCode), 1, -32099].map(
        (code): Outcome => ({ status: "error", errorType: "any", code }),
      ),
    ];
    for (const outcome of outcomes) {
      const errorType = outcome.status === "error" ? outcome.errorType : undefined;
      const code =
        outcome.status === "error" && outcome.code !== undefined ? statusCodeAttribute(outcome.code) : undefined;
      expect(semconvErrorAttributesOf(errorType, code)).toEqual(semconvErrorAttributes(outcome));
    }
  });
});
