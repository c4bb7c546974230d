import type { Readable } from "node:stream";

/**
 * Observes the chunks of `source` as they are piped into `destination`, with no stream in between:
 * a pass-through Transform and a pipeline per exchange were ≈ a tenth of the sidecar's CPU at
 * 1,000 req/s (each pipeline ends by aborting an AbortController, which builds a DOMException).
 *
 * Listening to `data` before the pipe exists would set `source` flowing with nobody to write to, so
 * the chunk listener is added when `destination` announces the pipe; it then runs after the pipe's
 * own (listeners run in the order added), so the client's bytes never wait on the observer, and an
 * observer that throws is cut off, not the stream. The end is observed on the next turn of the event
 * loop, after the last chunk has been written on: a JSON body is parsed and priced there (its tokens
 * estimated), and the client's last byte must not wait for that.
 */
export function observePipedStream(
  source: Readable,
  destination: { once(event: "pipe", listener: (from: Readable) => void): unknown },
  /** end(true) after the last chunk; end(false) when the stream was destroyed before its end. */
  observe: { chunk(chunk: Uint8Array): void; end(complete: boolean): void },
  onObserverError: (error: unknown) => void,
): void {
  let healthy = true;
  /** The end was seen: "close" follows it and must not report the stream cut short. */
  let complete = false;
  const safely = (fn: () => void) => {
    if (!healthy) return;
    try {
      fn();
    } catch (error) {
      healthy = false;
      onObserverError(error);
    }
  };
  // "end" and "close" fire once each, and "close" ends the observation only when "end" did not.
  const finish = (whole: boolean) => safely(() => observe.end(whole));
  destination.once("pipe", (from) => {
    if (from === source) source.on("data", (chunk: Uint8Array) => safely(() => observe.chunk(chunk)));
  });
  source.once("end", () => {
    complete = true;
    setImmediate(() => finish(true));
  });
  // A client that disconnects mid-stream, or an upstream that fails, destroys it before its end.
  source.once("close", () => {
    if (!complete) finish(false);
  });
}
