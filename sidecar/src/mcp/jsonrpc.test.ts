import { describe, expect, it } from "vitest";
import { classifyMessage, parseJsonRpc } from "./jsonrpc.js";

describe("parseJsonRpc", () => {
  it("reads a request with its id and method", () => {
    expect(parseJsonRpc('{"jsonrpc":"2.0","id":7,"method":"tools/list"}')).toEqual({
      ok: true,
      batch: false,
      messages: [{ kind: "request", id: 7, method: "tools/list", params: undefined }],
    });
  });

  it("keeps string ids as strings", () => {
    const parsed = parseJsonRpc('{"jsonrpc":"2.0","id":"a-1","method":"ping"}');
    expect(parsed.ok && parsed.messages[0]).toEqual({
      kind: "request",
      id: "a-1",
      method: "ping",
      params: undefined,
    });
  });

  it("reads a notification (no id)", () => {
    const parsed = parseJsonRpc('{"jsonrpc":"2.0","method":"notifications/initialized"}');
    expect(parsed.ok && parsed.messages[0]).toEqual({
      kind: "notification",
      method: "notifications/initialized",
      params: undefined,
    });
  });

  it("reads an error response and keeps its code", () => {
    const parsed = parseJsonRpc('{"jsonrpc":"2.0","id":3,"error":{"code":-32601,"message":"Method not found"}}');
    expect(parsed.ok && parsed.messages[0]).toEqual({
      kind: "response",
      id: 3,
      result: undefined,
      error: { code: -32601, message: "Method not found" },
    });
  });

  it("reads a batch, classifying each member on its own", () => {
    const parsed = parseJsonRpc('[{"jsonrpc":"2.0","id":1,"method":"ping"},{"jsonrpc":"1.0","id":2,"method":"ping"}]');
    expect(parsed).toEqual({
      ok: true,
      batch: true,
      messages: [
        { kind: "request", id: 1, method: "ping", params: undefined },
        { kind: "invalid", reason: 'jsonrpc is not "2.0"' },
      ],
    });
  });

  it.each([
    ["{not json", "not JSON"],
    ["[]", "empty batch"],
    ['"hello"', "not an object"],
    ['{"jsonrpc":"2.0","id":{},"method":"x"}', "id must be a string or a number"],
    ['{"jsonrpc":"2.0","id":1}', "neither a request, a notification nor a response"],
  ])("refuses %s as %s", (text, reason) => {
    expect(parseJsonRpc(text)).toEqual({ ok: false, reason });
  });

  it("gives a response with an unusable id the id null", () => {
    expect(classifyMessage({ jsonrpc: "2.0", id: true, result: {} })).toEqual({
      kind: "response",
      id: null,
      result: {},
    });
  });
});
