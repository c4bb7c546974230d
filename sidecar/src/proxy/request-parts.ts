import type { FastifyRequest } from "fastify";

/** What the proxy reads off a request and a response head. Pure. */

/** A header's first value (node gives arrays for repeated headers). */
export function header(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value;
}

/** The query exactly as the client sent it, without the `?`. */
export function rawQuery(url: string): string {
  const index = url.indexOf("?");
  return index < 0 ? "" : url.slice(index + 1);
}

/** Legacy HTTP+SSE: the session a POST names in its `sessionId` query parameter. */
export function legacySessionIdOf(url: string): string | undefined {
  const query = rawQuery(url);
  if (!query.includes("sessionId=")) return undefined;
  return new URLSearchParams(query).get("sessionId") ?? undefined;
}

export function isEventStream(contentType: string | string[] | undefined): boolean {
  return header(contentType)?.toLowerCase().startsWith("text/event-stream") ?? false;
}

/** The raw request body (the proxy's only content-type parser keeps bytes); undefined without one. */
export function bodyOf(request: Pick<FastifyRequest, "body">): Buffer | undefined {
  return Buffer.isBuffer(request.body) ? request.body : undefined;
}

/** reply-from options that send `body` as received, under the client's content type. */
export function bodyOptions(request: Pick<FastifyRequest, "headers">, body: Buffer | undefined) {
  return body === undefined
    ? {}
    : { body, contentType: header(request.headers["content-type"]) ?? "application/octet-stream" };
}
