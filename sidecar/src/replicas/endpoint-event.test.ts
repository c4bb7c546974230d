import { Readable } from "node:stream";
import { buffer } from "node:stream/consumers";
import { pipeline } from "node:stream/promises";
import { describe, expect, it } from "vitest";
import { EndpointEventRewriter, rewriteEndpointEvent, withLegacySessionId } from "./endpoint-event.js";

const wrap = (id: string) => `mcps.7f000002.${id}`;

async function through(chunks: (string | Buffer)[]): Promise<Buffer> {
  const rewriter = new EndpointEventRewriter(wrap);
  const out = buffer(rewriter);
  await pipeline(Readable.from(chunks.map((c) => Buffer.from(c))), rewriter);
  return out;
}

describe("rewriteEndpointEvent", () => {
  it("replaces the sessionId of an endpoint event and nothing else", () => {
    expect(rewriteEndpointEvent("event: endpoint\ndata: /message?sessionId=abc-1&x=1\n\n", wrap)).toBe(
      "event: endpoint\ndata: /message?sessionId=mcps.7f000002.abc-1&x=1\n\n",
    );
  });

  it("keeps CRLF line endings and an absolute endpoint URL", () => {
    expect(rewriteEndpointEvent("event:endpoint\r\ndata:http://h:1/m?a=b&sessionId=s%201\r\n\r\n", wrap)).toBe(
      "event:endpoint\r\ndata:http://h:1/m?a=b&sessionId=mcps.7f000002.s%201\r\n\r\n",
    );
  });

  it("leaves other events alone", () => {
    const message = 'event: message\ndata: {"sessionId=abc":1}\n\n';
    expect(rewriteEndpointEvent(message, wrap)).toBe(message);
  });
});

describe("EndpointEventRewriter", () => {
  it("rewrites an endpoint event split across chunks and passes the rest byte-exact", async () => {
    const rest = Buffer.from([0x65, 0x76, 0x65, 0x6e, 0x74, 0x3a, 0x20, 0xff, 0xfe, 0x0a, 0x0a]);
    const out = await through([": hi\n\nevent: endp", "oint\ndata: /message?sessio", "nId=abc\n\n", rest]);
    expect(out).toEqual(
      Buffer.concat([Buffer.from(": hi\n\nevent: endpoint\ndata: /message?sessionId=mcps.7f000002.abc\n\n"), rest]),
    );
  });

  it("rewrites only the first endpoint event", async () => {
    const second = "event: endpoint\ndata: /message?sessionId=other\n\n";
    const out = await through(["event: endpoint\ndata: /m?sessionId=a\n\n", second]);
    expect(out.toString()).toBe(`event: endpoint\ndata: /m?sessionId=mcps.7f000002.a\n\n${second}`);
  });

  it("passes a stream without an endpoint event through unchanged, even an unfinished event", async () => {
    const bytes = Buffer.from('event: message\ndata: {"jsonrpc":"2.0"}\n\ndata: unfinished', "utf8");
    expect(await through([bytes.subarray(0, 7), bytes.subarray(7)])).toEqual(bytes);
  });
});

describe("withLegacySessionId", () => {
  it("replaces only the sessionId value of a legacy POST's query", () => {
    expect(withLegacySessionId("sessionId=mcps.7f000002.abc&x=sessionId%3D1", "abc")).toBe(
      "sessionId=abc&x=sessionId%3D1",
    );
    expect(withLegacySessionId("a=1&sessionId=mcps.7f000002.s%201", "s 1")).toBe("a=1&sessionId=s%201");
  });
});
