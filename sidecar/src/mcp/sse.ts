import { StringDecoder } from "node:string_decoder";
import { createParser, type EventSourceMessage } from "eventsource-parser";

export interface SseObserver {
  /** Feeds raw bytes exactly as they crossed the wire; multi-byte characters may straddle chunks. */
  feed(chunk: Uint8Array): void;
  end(): void;
}

const byteOrderMark = 0xfeff;

/**
 * Reads server-sent events from a copy of a stream. An event larger than maxEventBytes is skipped
 * (the parser drops it) so an endless event cannot grow the sidecar's memory.
 *
 * Bytes are decoded with node's StringDecoder, not TextDecoder: a streaming TextDecoder opens an ICU
 * converter (a native object freed only by the garbage collector) for every SSE response, one per
 * tools/call at 1,000 req/s. The stream's leading byte-order mark, which TextDecoder dropped and
 * the SSE specification ignores, is dropped here (eventsource-parser looks for it undecoded only).
 */
export function createSseObserver(onEvent: (event: EventSourceMessage) => void, maxEventBytes: number): SseObserver {
  const decoder = new StringDecoder("utf8");
  let started = false;
  let parser = makeParser();
  function makeParser() {
    return createParser({
      onEvent,
      onError: (error) => {
        if (error.type === "max-buffer-size-exceeded") parser = makeParser();
      },
      maxBufferSize: maxEventBytes,
    });
  }
  return {
    feed(chunk) {
      let text = decoder.write(chunk);
      if (!started && text.length > 0) {
        started = true;
        if (text.charCodeAt(0) === byteOrderMark) text = text.slice(1);
      }
      parser.feed(text);
    },
    end() {
      parser.feed(decoder.end());
      parser.reset({ consume: true });
    },
  };
}
