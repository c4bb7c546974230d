import { Transform, type TransformCallback } from "node:stream";

/**
 * Legacy HTTP+SSE: the server announces where to POST in its stream's first `endpoint` event
 * (`data: /message?sessionId=<id>`). A replicated sidecar hands the client its own session id there,
 * so the POSTs can be routed to the replica holding the stream. Everything else passes byte-exact.
 */

/** The event with its `sessionId` query value replaced by `wrap(value)`; other events unchanged. Pure. */
export function rewriteEndpointEvent(eventText: string, wrap: (sessionId: string) => string): string {
  const lines = eventText.split(/(\r\n|\r|\n)/);
  const isEndpoint = lines.some((line) => /^event: ?endpoint$/.test(line));
  if (!isEndpoint) return eventText;
  return lines
    .map((line) =>
      line.startsWith("data:")
        ? line.replace(/([?&]sessionId=)([^&#\s]*)/, (_all, key: string, value: string) => {
            const decoded = safeDecode(value);
            return decoded === undefined ? `${key}${value}` : `${key}${encodeURIComponent(wrap(decoded))}`;
          })
        : line,
    )
    .join("");
}

function safeDecode(value: string): string | undefined {
  try {
    return decodeURIComponent(value);
  } catch {
    return undefined;
  }
}

/** An SSE event ends at a blank line; the earliest of the three line-ending forms wins. */
function eventEnd(buffer: Buffer): number {
  let end = -1;
  for (const separator of ["\r\n\r\n", "\n\n", "\r\r"]) {
    const at = buffer.indexOf(separator);
    if (at >= 0 && (end < 0 || at + separator.length < end)) end = at + separator.length;
  }
  return end;
}

/** Past this many bytes without an endpoint event the stream is no legacy SSE stream: pass it on. */
const maxScanBytes = 64 * 1024;

/** Rewrites the first `endpoint` event of a stream with rewriteEndpointEvent; then passes chunks through. */
export class EndpointEventRewriter extends Transform {
  #pending: Buffer = Buffer.alloc(0);
  #done = false;
  readonly #wrap: (sessionId: string) => string;

  constructor(wrap: (sessionId: string) => string) {
    super();
    this.#wrap = wrap;
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    if (this.#done) {
      callback(null, chunk);
      return;
    }
    this.#pending = Buffer.concat([this.#pending, chunk]);
    for (let end = eventEnd(this.#pending); end >= 0 && !this.#done; end = eventEnd(this.#pending)) {
      const raw = this.#pending.subarray(0, end);
      this.#pending = this.#pending.subarray(end);
      const event = raw.toString("utf8");
      const rewritten = rewriteEndpointEvent(event, this.#wrap);
      if (rewritten !== event) this.#done = true;
      // Unchanged events go on as the bytes received (a decode and re-encode could alter invalid UTF-8).
      this.push(rewritten === event ? raw : rewritten);
    }
    if (this.#done || this.#pending.byteLength > maxScanBytes) this.#flushPending();
    callback();
  }

  override _flush(callback: TransformCallback): void {
    this.#flushPending();
    callback();
  }

  #flushPending(): void {
    this.#done = true;
    if (this.#pending.byteLength > 0) this.push(this.#pending);
    this.#pending = Buffer.alloc(0);
  }
}

/**
 * A legacy POST's query with its sessionId value replaced by the upstream's own id (the rest
 * byte-exact), for a request the replica holding the session serves. Pure.
 */
export function withLegacySessionId(query: string, sessionId: string): string {
  return query.replace(
    /(^|&)sessionId=[^&]*/,
    (_all, lead: string) => `${lead}sessionId=${encodeURIComponent(sessionId)}`,
  );
}
