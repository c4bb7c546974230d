import { createParser, type EventSourceMessage } from "eventsource-parser";

export interface SseObserver {
  /** Feeds raw bytes exactly as they crossed the wire; multi-byte characters may straddle chunks. */
  feed(chunk: Uint8Array): void;
  end(): void;
}

/**
 * Reads server-sent events from a copy of a stream. An event larger than maxEventBytes is skipped
 * (the parser drops it) so an endless event cannot grow the sidecar's memory.
 */
export function createSseObserver(onEvent: (event: EventSourceMessage) => void, maxEventBytes: number): SseObserver {
  const decoder = new TextDecoder("utf-8");
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
      parser.feed(decoder.decode(chunk, { stream: true }));
    },
    end() {
      parser.feed(decoder.decode());
      parser.reset({ consume: true });
    },
  };
}
