import { Transform, type TransformCallback } from "node:stream";

/**
 * Passes every chunk through untouched and hands a reference to `observe` after pushing it, so the
 * client's bytes never wait on the observer and an observer that throws is cut off, not the stream.
 * The end is observed on the next turn of the event loop, after the stream's own end has gone out:
 * a JSON body is parsed and priced there (its tokens estimated), and the client's last byte must not
 * wait for that.
 */
export function observedStream(
  /** end(true) after the last chunk; end(false) when the stream was destroyed before its end. */
  observe: { chunk(chunk: Uint8Array): void; end(complete: boolean): void },
  onObserverError: (error: unknown) => void,
): Transform {
  let healthy = true;
  let ended = false;
  let flushed = false;
  const safely = (fn: () => void) => {
    if (!healthy) return;
    try {
      fn();
    } catch (error) {
      healthy = false;
      onObserverError(error);
    }
  };
  const finish = (complete: boolean) => {
    if (ended) return;
    ended = true;
    safely(() => observe.end(complete));
  };
  const stream = new Transform({
    transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback) {
      this.push(chunk);
      safely(() => observe.chunk(chunk));
      callback();
    },
    flush(callback: TransformCallback) {
      flushed = true;
      callback();
      setImmediate(() => finish(true));
    },
  });
  // A client that disconnects mid-stream destroys the stream without a flush.
  stream.once("close", () => {
    if (!flushed) finish(false);
  });
  return stream;
}
