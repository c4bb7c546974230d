#!/usr/bin/env node
// A baseline for `npm run bench`: @fastify/http-proxy alone, no observation, no metrics — the floor
// of the framework the sidecar is built on. Usage: bare-proxy.js UPSTREAM_URL PORT
import proxy from "@fastify/http-proxy";
import Fastify from "fastify";

const [upstream, port] = process.argv.slice(2);
if (!upstream || !port) throw new Error("usage: bare-proxy.js UPSTREAM_URL PORT");
const app = Fastify({ logger: false });
// Bodies pass through as buffers, as in the sidecar.
app.removeAllContentTypeParsers();
app.addContentTypeParser("*", { parseAs: "buffer" }, (_req, body, done) => done(null, body));
await app.register(proxy, {
  upstream,
  prefix: "/",
  disableRequestLogging: true,
  undici: { connections: 512, pipelining: 1, bodyTimeout: 0 },
});
await app.listen({ host: "127.0.0.1", port: Number(port) });
console.log(`bare proxy listening on ${port}`);
