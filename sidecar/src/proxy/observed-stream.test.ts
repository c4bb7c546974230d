import { Readable } from "node:stream";
import { text } from "node:stream/consumers";
import { describe, expect, it } from "vitest";
import { observedStream } from "./observed-stream.js";

describe("observedStream", () => {
  it("passes every byte through and hands the observer the same chunks, then end", async () => {
    const seen: string[] = [];
    const ends: boolean[] = [];
    const tap = observedStream(
      { chunk: (c) => seen.push(Buffer.from(c).toString()), end: (complete) => ends.push(complete) },
      () => {},
    );
    const out = await text(Readable.from([Buffer.from("a"), Buffer.from("bc")]).pipe(tap));
    expect(out).toBe("abc");
    expect(seen).toEqual(["a", "bc"]);
    await expect.poll(() => ends).toEqual([true]);
  });

  it("lets the end go out before observing it, so the client never waits for a body to be parsed", async () => {
    const order: string[] = [];
    const tap = observedStream({ chunk: () => {}, end: () => order.push("observed end") }, () => {});
    tap.on("end", () => order.push("stream end"));
    tap.resume();
    tap.end(Buffer.from("{}"));
    await new Promise((resolve) => tap.once("close", resolve));
    await expect.poll(() => order).toEqual(["stream end", "observed end"]);
  });

  it("observes a flushed stream as complete even when it closes before the observation runs", async () => {
    const ends: boolean[] = [];
    const tap = observedStream({ chunk: () => {}, end: (complete) => ends.push(complete) }, () => {});
    tap.resume();
    tap.end(Buffer.from("{}"));
    await new Promise((resolve) => tap.once("close", resolve));
    await expect.poll(() => ends).toEqual([true]);
  });

  it("keeps streaming when the observer throws, reporting the failure once and observing no more", async () => {
    const failures: unknown[] = [];
    let calls = 0;
    const tap = observedStream(
      {
        chunk: () => {
          calls++;
          throw new Error("observer bug");
        },
        end: () => {
          calls++;
        },
      },
      (error) => failures.push(error),
    );
    const out = await text(Readable.from([Buffer.from("x"), Buffer.from("y"), Buffer.from("z")]).pipe(tap));
    expect(out).toBe("xyz");
    expect(calls).toBe(1);
    expect(failures).toHaveLength(1);
  });

  it("tells the observer the exchange ended incomplete when the stream is destroyed mid-way", async () => {
    const ends: boolean[] = [];
    const tap = observedStream({ chunk: () => {}, end: (complete) => ends.push(complete) }, () => {});
    tap.write(Buffer.from("partial"));
    tap.destroy();
    await new Promise((resolve) => tap.once("close", resolve));
    expect(ends).toEqual([false]);
  });
});
