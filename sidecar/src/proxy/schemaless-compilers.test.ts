import Fastify from "fastify";
import { afterEach, describe, expect, it } from "vitest";
import { schemalessCompilers } from "./schemaless-compilers.js";

describe("schemalessCompilers", () => {
  const apps: ReturnType<typeof Fastify>[] = [];
  afterEach(async () => {
    await Promise.all(apps.splice(0).map((app) => app.close()));
  });

  it("serves routes without schemas as fastify's defaults do (JSON bodies, status codes)", async () => {
    const app = Fastify({ schemaController: schemalessCompilers });
    apps.push(app);
    app.get("/livez", async () => ({ status: "ok" }));
    const answer = await app.inject({ method: "GET", url: "/livez" });
    expect(answer.statusCode).toBe(200);
    expect(answer.json()).toEqual({ status: "ok" });
    const missing = await app.inject({ method: "GET", url: "/nowhere" });
    expect(missing.statusCode).toBe(404);
    expect(missing.json()).toMatchObject({ statusCode: 404, error: "Not Found" });
  });

  it("refuses a route that declares a body schema, naming the route, instead of skipping validation", async () => {
    const app = Fastify({ schemaController: schemalessCompilers });
    apps.push(app);
    app.post("/typed", { schema: { body: { type: "object" } } }, async () => "never");
    await expect(app.ready()).rejects.toThrow(/route \/typed declares a schema for its body/);
  });

  it("refuses a route that declares a response schema", async () => {
    const app = Fastify({ schemaController: schemalessCompilers });
    apps.push(app);
    app.get("/typed", { schema: { response: { 200: { type: "object" } } } }, async () => ({}));
    await expect(app.ready()).rejects.toThrow(/route \/typed declares a schema/);
  });
});
