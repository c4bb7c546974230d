import type { FastifyServerOptions } from "fastify";

/**
 * Fastify's schema compilers for an app whose routes declare no schemas. Fastify loads ajv and
 * fast-json-stringify (about 100 modules) to build its default compilers even when no route has a
 * schema; given these, it loads neither. A route that did declare a schema fails at registration
 * with this message instead of running unvalidated.
 */
export const schemalessCompilers: NonNullable<FastifyServerOptions["schemaController"]> = {
  compilersFactory: {
    buildValidator: () => noSchemas,
    buildSerializer: () => noSchemas,
  },
};

// Fastify calls a compiler with { method, url, httpPart, schema } (its typings say a bare schema).
function noSchemas(route: unknown): never {
  const { url, httpPart } = (route ?? {}) as { url?: string; httpPart?: string };
  throw new Error(
    `route ${url ?? "?"} declares a schema${httpPart ? ` for its ${httpPart}` : ""}, but the sidecar's app compiles none (it runs without ajv)`,
  );
}
