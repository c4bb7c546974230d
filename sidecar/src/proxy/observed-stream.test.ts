import { PassThrough, Readable, Writable } from "node:stream";
import { text } from "node:stream/consumers";
import { describe, expect, it } from "vitest";
import { observePipedStream } from "./observed-stream.js";

const noErrors = () => {};

/** Observes `source` into `destination`, collecting the chunks it sees as text into `seen`. */
function observeChunks(source: Readable, destination: PassThrough, seen: string[]): void {
  observePipedStream(
    source,
    destination,
    { chunk: (c) => seen.push(Buffer.from(c).toString()), end: () => {} },
    noErrors,
  );
}

describe("observePipedStream", () => {
  it("hands the observer every chunk the pipe carries, then end, with every byte through untouched", async () => {
    const seen: string[] = [];
    const ends: boolean[] = [];
    const source = Readable.from([Buffer.from("a"), Buffer.from("bc")], { objectMode: false });
    const destination = new PassThrough();
    observePipedStream(
      source,
      destination,
      { chunk: (c) => seen.push(Buffer.from(c).toString()), end: (complete) => ends.push(complete) },
      noErrors,
    );
    source.pipe(destination);
    expect(await text(destination)).toBe("abc");
    expect(seen).toEqual(["a", "bc"]);
    await expect.poll(() => ends).toEqual([true]);
  });

  it("reads nothing before the pipe exists, so no chunk can miss the client", async () => {
    const seen: string[] = [];
    const source = new PassThrough();
    const destination = new PassThrough();
    observeChunks(source, destination, seen);
    source.write("early");
    await new Promise((resolve) => setImmediate(resolve));
    expect(source.readableFlowing).toBe(null);
    source.pipe(destination);
    source.end("late");
    expect(await text(destination)).toBe("earlylate");
    expect(seen).toEqual(["early", "late"]);
  });

  it("writes each chunk on before the observer sees it", async () => {
    const order: string[] = [];
    const source = new PassThrough();
    const destination = new Writable({
      write(chunk: Buffer, _encoding, callback) {
        order.push(`written ${chunk.toString()}`);
        callback();
      },
    });
    observePipedStream(
      source,
      destination,
      { chunk: (c) => order.push(`observed ${Buffer.from(c).toString()}`), end: () => {} },
      noErrors,
    );
    source.pipe(destination);
    source.end("x");
    await new Promise((resolve) => destination.once("finish", resolve));
    expect(order).toEqual(["written x", "observed x"]);
  });

  it("lets the end go out before observing it, so the client never waits for a body to be parsed", async () => {
    const order: string[] = [];
    const source = new PassThrough();
    const destination = new PassThrough();
    observePipedStream(source, destination, { chunk: () => {}, end: () => order.push("observed end") }, noErrors);
    destination.on("end", () => order.push("destination end"));
    source.pipe(destination);
    destination.resume();
    source.end(Buffer.from("{}"));
    await expect.poll(() => order).toEqual(["destination end", "observed end"]);
  });

  it("ignores a pipe from another stream into the same destination", async () => {
    const seen: string[] = [];
    const source = new PassThrough();
    const other = Readable.from([Buffer.from("not ours")]);
    const destination = new PassThrough();
    observeChunks(source, destination, seen);
    other.pipe(destination);
    expect(await text(destination)).toBe("not ours");
    expect(seen).toEqual([]);
  });

  it("keeps streaming when the observer throws, reporting the failure once and observing no more", async () => {
    const failures: unknown[] = [];
    let calls = 0;
    const source = Readable.from([Buffer.from("x"), Buffer.from("y"), Buffer.from("z")]);
    const destination = new PassThrough();
    observePipedStream(
      source,
      destination,
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
    source.pipe(destination);
    expect(await text(destination)).toBe("xyz");
    await new Promise((resolve) => setImmediate(resolve));
    expect(calls).toBe(1);
    expect(failures).toHaveLength(1);
  });

  it("tells the observer the exchange ended incomplete when the stream is destroyed mid-way", async () => {
    const ends: boolean[] = [];
    const source = new PassThrough();
    const destination = new PassThrough();
    observePipedStream(source, destination, { chunk: () => {}, end: (complete) => ends.push(complete) }, noErrors);
    source.pipe(destination);
    destination.resume();
    source.write(Buffer.from("partial"));
    source.destroy();
    await new Promise((resolve) => source.once("close", resolve));
    expect(ends).toEqual([false]);
  });
});
