import Fastify from "fastify";
import proxy from "@fastify/http-proxy";
const app = Fastify();
await app.register(proxy, { upstream: process.argv[2], prefix: "/", disableRequestLogging: true });
await app.listen({ port: Number(process.argv[3]), host: "127.0.0.1" });
