#!/usr/bin/env node
// A baseline for `npm run bench`: @fastify/http-proxy alone, no observation, no metrics — the floor
// of the framework the sidecar is built on. Usage: bare-proxy.js UPSTREAM_URL PORT [buffered]
//
// By default @fastify/http-proxy streams each request body to the upstream as it arrives (its own
// content-type parser hands reply-from the request stream). `buffered` reads the whole body first and
// hands reply-from the bytes, as the sidecar does so that it can read the JSON-RPC request: the
// difference between the two is what buffering costs, apart from observing.
import proxy from "@fastify/http-proxy";
import Fastify from "fastify";

const [upstream, port, mode] = process.argv.slice(2);
if (!upstream || !port || (mode !== undefined && mode !== "buffered"))
  throw new Error("usage: bare-proxy.js UPSTREAM_URL PORT [buffered]");
const buffered = mode === "buffered";
const app = Fastify({ logger: false });
if (buffered) {
  app.removeAllContentTypeParsers();
  app.addContentTypeParser("*", { parseAs: "buffer" }, (_req, body, done) => done(null, body));
}
await app.register(proxy, {
  upstream,
  prefix: "/",
  disableRequestLogging: true,
  undici: { connections: 512, pipelining: 1, bodyTimeout: 0 },
  ...(buffered
    ? {
        proxyPayloads: false,
        // reply-from would JSON-encode a Buffer body sent as application/json: give it the bytes.
        handler: (request, reply, dest, replyOptions) =>
          reply.from(dest, {
            ...replyOptions,
            ...(Buffer.isBuffer(request.body)
              ? { body: request.body, contentType: request.headers["content-type"] ?? "application/octet-stream" }
              : {}),
          }),
      }
    : {}),
});
await app.listen({ host: "127.0.0.1", port: Number(port) });
console.log(`bare proxy listening on ${port}${buffered ? " (bodies buffered)" : ""}`);
