import { describe, expect, it } from "vitest";
import { bodyOf, bodyOptions, header, isEventStream, legacySessionIdOf, rawQuery } from "./request-parts.js";

describe("request parts", () => {
  it("takes a repeated header's first value", () => {
    expect(header(["a", "b"])).toBe("a");
    expect(header("a")).toBe("a");
    expect(header(undefined)).toBeUndefined();
  });

  it("keeps the client's query bytes, without re-encoding", () => {
    expect(rawQuery("/message?sessionId=a%2Fb&x=1")).toBe("sessionId=a%2Fb&x=1");
    expect(rawQuery("/mcp")).toBe("");
  });

  it("reads a legacy POST's session id, decoded", () => {
    expect(legacySessionIdOf("/message?x=1&sessionId=mcps.7f000001.a%2Fb")).toBe("mcps.7f000001.a/b");
    expect(legacySessionIdOf("/message?x=1")).toBeUndefined();
    expect(legacySessionIdOf("/mcp")).toBeUndefined();
  });

  it("recognises an event stream whatever the case and parameters", () => {
    expect(isEventStream("Text/Event-Stream; charset=utf-8")).toBe(true);
    expect(isEventStream(["text/event-stream"])).toBe(true);
    expect(isEventStream("application/json")).toBe(false);
    expect(isEventStream(undefined)).toBe(false);
  });

  it("sends a body as received, under the client's content type or octet-stream", () => {
    const body = Buffer.from("{}");
    expect(bodyOf({ body })).toBe(body);
    expect(bodyOf({ body: { parsed: true } })).toBeUndefined();
    expect(bodyOptions({ headers: { "content-type": "application/json" } }, body)).toEqual({
      body,
      contentType: "application/json",
    });
    expect(bodyOptions({ headers: {} }, body)).toEqual({ body, contentType: "application/octet-stream" });
    expect(bodyOptions({ headers: {} }, undefined)).toEqual({});
  });
});
