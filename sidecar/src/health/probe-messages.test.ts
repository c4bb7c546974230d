import { describe, expect, it } from "vitest";
import { answerIn, discoverRequest, supportedVersionsOf } from "./probe-messages.js";

describe("answerIn", () => {
  it("finds the answer with the probe's id in a JSON body", () => {
    const body = JSON.stringify({ jsonrpc: "2.0", id: 7, result: { supportedVersions: ["2026-07-28"] } });
    expect(answerIn("application/json", body, 7)).toEqual({
      kind: "result",
      result: { supportedVersions: ["2026-07-28"] },
    });
    expect(answerIn("application/json", body, 8)).toEqual({ kind: "none" });
  });

  it("finds it among the events of an SSE body, after notifications", () => {
    const body =
      'event: message\ndata: {"jsonrpc":"2.0","method":"notifications/message","params":{}}\n\n' +
      'event: message\ndata: {"jsonrpc":"2.0","id":1,"error":{"code":-32601,"message":"Method not found"}}\n\n';
    expect(answerIn("text/event-stream", body, 1)).toEqual({
      kind: "error",
      code: -32601,
      message: "Method not found",
    });
  });

  it("reads nothing from a body that is not JSON-RPC", () => {
    expect(answerIn("text/html", "<html>", 1)).toEqual({ kind: "none" });
  });
});

describe("server/discover", () => {
  it("asks in the 2026-07-28 envelope and reads supportedVersions", () => {
    const discover = discoverRequest(3);
    expect(discover.id).toBe(3);
    expect(JSON.parse(discover.body)).toMatchObject({
      id: 3,
      method: "server/discover",
      params: { _meta: { "io.modelcontextprotocol/protocolVersion": "2026-07-28" } },
    });
    expect(supportedVersionsOf({ supportedVersions: ["2026-07-28", 5, "2025-11-25"] })).toEqual([
      "2026-07-28",
      "2025-11-25",
    ]);
    expect(supportedVersionsOf({ protocolVersion: "2025-11-25" })).toBeUndefined();
  });
});
