import { describe, expect, it } from "vitest";
import { methodOrOther } from "./methods.js";
import {
  outcomeOfHttpStatus,
  outcomeOfResponse,
  sessionIdOfEndpointEvent,
  toolNameOfCall,
  toolNamesOfListResult,
} from "./results.js";

describe("outcomeOfResponse", () => {
  it("counts a JSON-RPC error as status=error, named by its code, keeping the code", () => {
    expect(
      outcomeOfResponse(
        {
          kind: "response",
          id: 1,
          result: undefined,
          error: { code: -32602, message: "x" },
        },
        "tools/call",
      ),
    ).toEqual({
      status: "error",
      errorType: "invalid_params",
      code: -32602,
      message: "x",
    });
  });

  it("counts a 2026-07-28 input_required result as input_required, neither ok nor error", () => {
    expect(
      outcomeOfResponse(
        { kind: "response", id: 1, result: { resultType: "input_required", inputRequests: {} } },
        "tools/call",
      ),
    ).toEqual({ status: "input_required" });
    expect(
      outcomeOfResponse({ kind: "response", id: 1, result: { resultType: "complete", content: [] } }, "tools/call"),
    ).toEqual({ status: "ok" });
  });

  it("counts a tool result with isError: true as tool_error", () => {
    expect(
      outcomeOfResponse({ kind: "response", id: 1, result: { content: [], isError: true } }, "tools/call"),
    ).toEqual({
      status: "error",
      errorType: "tool_error",
    });
  });

  it("ignores isError outside tools/call", () => {
    expect(outcomeOfResponse({ kind: "response", id: 1, result: { isError: true } }, "resources/read")).toEqual({
      status: "ok",
    });
  });
});

describe("outcomeOfHttpStatus", () => {
  it("makes 4xx and 5xx errors with the status as error.type", () => {
    expect(outcomeOfHttpStatus(404)).toEqual({
      status: "error",
      errorType: "404",
    });
    expect(outcomeOfHttpStatus(202)).toEqual({ status: "ok" });
  });
});

describe("tool names", () => {
  it("reads names from a tools/list result and skips malformed entries", () => {
    expect(
      toolNamesOfListResult({
        tools: [{ name: "echo" }, { title: "x" }, { name: 3 }, { name: "get-sum" }],
      }),
    ).toEqual(["echo", "get-sum"]);
    expect(toolNamesOfListResult({ tools: "nope" })).toEqual([]);
  });

  it("reads the tool a tools/call names", () => {
    expect(toolNameOfCall({ name: "echo", arguments: {} })).toBe("echo");
    expect(toolNameOfCall({})).toBeUndefined();
  });
});

describe("methodOrOther", () => {
  it("keeps MCP methods of every revision and folds anything else into other", () => {
    expect(methodOrOther("tools/call")).toBe("tools/call");
    expect(methodOrOther("server/discover")).toBe("server/discover");
    expect(methodOrOther("subscriptions/listen")).toBe("subscriptions/listen");
    expect(methodOrOther("initialize")).toBe("initialize");
    expect(methodOrOther("x/y")).toBe("other");
    expect(methodOrOther("__proto__")).toBe("other");
  });
});

describe("sessionIdOfEndpointEvent", () => {
  it("reads the legacy SSE session id from the endpoint event", () => {
    expect(sessionIdOfEndpointEvent("/message?sessionId=abc-123")).toBe("abc-123");
    expect(sessionIdOfEndpointEvent("/message")).toBeUndefined();
  });
});
