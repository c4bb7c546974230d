import { describe, expect, it } from "vitest";
import { createSseObserver } from "./sse.js";

const encode = (text: string) => new TextEncoder().encode(text);

describe("createSseObserver", () => {
  it("emits events split across chunks, including a multi-byte character cut in half", () => {
    const events: Array<{
      event?: string | undefined;
      data: string;
      id?: string | undefined;
    }> = [];
    const observer = createSseObserver((e) => events.push({ event: e.event, data: e.data, id: e.id }), 1024);
    const bytes = encode('event: message\nid: 1\ndata: {"x":"é"}\n\n');
    const cut = bytes.indexOf(0xc3) + 1; // inside "é"
    observer.feed(bytes.slice(0, cut));
    expect(events).toEqual([]);
    observer.feed(bytes.slice(cut));
    expect(events).toEqual([{ event: "message", id: "1", data: '{"x":"é"}' }]);
  });

  it("skips an event that outgrows the buffer limit and keeps reading the next ones", () => {
    const events: string[] = [];
    const observer = createSseObserver((e) => events.push(e.data), 64);
    const big = encode(`data: ${"x".repeat(200)}`);
    for (let i = 0; i < big.length; i += 10) observer.feed(big.slice(i, i + 10));
    observer.feed(encode("\n\ndata: small\n\n"));
    expect(events).toEqual(["small"]);
  });

  it("discards an unterminated last event at end(), as the SSE specification does", () => {
    const events: string[] = [];
    const observer = createSseObserver((e) => events.push(e.data), 1024);
    observer.feed(encode("data: whole\n\ndata: cut"));
    observer.end();
    expect(events).toEqual(["whole"]);
  });

  it("drops the stream's leading byte-order mark, even split across chunks, and keeps one later on", () => {
    const events: string[] = [];
    const observer = createSseObserver((e) => events.push(e.data), 1024);
    const bytes = encode("\uFEFFdata: first\n\ndata: \uFEFFsecond\n\n");
    observer.feed(bytes.slice(0, 1));
    observer.feed(bytes.slice(1, 2));
    observer.feed(bytes.slice(2));
    expect(events).toEqual(["first", "\uFEFFsecond"]);
  });

  it("reads bytes that are not UTF-8 as replacement characters and goes on", () => {
    const events: string[] = [];
    const observer = createSseObserver((e) => events.push(e.data), 1024);
    observer.feed(Uint8Array.from([...encode("data: a"), 0xff, ...encode("b\n\ndata: next\n\n")]));
    observer.end();
    expect(events).toEqual(["a\uFFFDb", "next"]);
  });
});
