import { EventEmitter } from "node:events";
import type { ServerResponse } from "node:http";
import type { Readable } from "node:stream";
import type { FastifyReply } from "fastify";
import { ClientGoneError, type SidecarAnswer, UpstreamHeadTimeoutError } from "./upstream-error.js";

/**
 * A request's cancellation in the other form undici takes for its `signal` option: an EventEmitter with
 * `aborted`, `reason` and an "abort" event. An AbortController per request, and the EventTarget listener
 * undici adds to its signal, cost ≈ 30 µs of the proxy's added latency; an emitter a fraction of that.
 */
export class CancelSignal extends EventEmitter {
  aborted = false;
  reason: unknown;

  abort(reason: unknown): void {
    if (this.aborted) return;
    this.aborted = true;
    this.reason = reason;
    this.emit("abort");
  }
}

/**
 * What ties a request the proxy sends on (to its upstream or to a peer replica) to the client's
 * reply: the request is cancelled when the client goes or no response head comes in time.
 */
export interface OutgoingCancellation {
  signal: CancelSignal;
  /** The client went away (closed the connection before the reply finished). */
  clientGone(): boolean;
  /** Cleared once the response head is in. */
  headTimer: NodeJS.Timeout;
}

export function outgoingCancellation(reply: { raw: unknown }, headTimeoutMs: number): OutgoingCancellation {
  const raw = reply.raw as ServerResponse;
  const signal = new CancelSignal();
  const headTimer = setTimeout(() => signal.abort(new UpstreamHeadTimeoutError(headTimeoutMs)), headTimeoutMs);
  raw.once("close", () => {
    // The exchange is over either way; a timer left running would hold it for the whole time-out.
    clearTimeout(headTimer);
    if (!raw.writableFinished) signal.abort(new ClientGoneError());
  });
  const clientGone = () => signal.reason instanceof ClientGoneError;
  return { signal, clientGone, headTimer };
}

/**
 * How long an SSE response's headers may wait for its first chunk. Most answers follow within a few
 * milliseconds and go out with their headers in one write; flushing sooner (on the next turn of the
 * loop) wrote the headers alone for nearly every tools/call: a write more for the proxy, a read more
 * for the client.
 */
export const quietStreamHeadersDelayMs = 25;

/**
 * fastify writes a stream's headers with its first chunk; an SSE stream may stay quiet for minutes
 * and clients wait for the headers. Flush them if no chunk went out within quietStreamHeadersDelayMs.
 * The timer is cleared when `body` closes: a timer left to fire woke the process once per answer, as
 * much CPU as the rest of the proxy's own work at 1,000 req/s.
 */
export function flushHeadersSoon(reply: { raw: unknown }, body: Readable): void {
  const raw = reply.raw as ServerResponse;
  const timer = setTimeout(() => {
    if (!raw.headersSent && !raw.destroyed && raw.hasHeader("content-type")) raw.flushHeaders();
  }, quietStreamHeadersDelayMs);
  timer.unref();
  body.once("close", () => clearTimeout(timer));
}

/** Writes an answer the sidecar gives in the upstream's place. */
export function sendAnswer(reply: FastifyReply, answer: SidecarAnswer): void {
  reply.code(answer.statusCode).header("content-type", "application/json").send(answer.body);
}
