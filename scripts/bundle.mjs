#!/usr/bin/env node
// Bundles a workspace's built entry point (WORKSPACE/dist/main.js, from `tsc -b`) and every package it
// imports into WORKSPACE/bundle/: main.js plus a chunk per dynamic import, so what a configuration does not
// use (OTLP exporters, the tracing SDK, the MCP SDK of the stdio bridge) stays unloaded. The images copy
// only that folder: no node_modules at all.
// Usage: node scripts/bundle.mjs sidecar [operator]
import { rm, writeFile } from "node:fs/promises";
import { fileURLToPath } from "node:url";
import { build } from "rolldown";

/**
 * Packages a library requires only on a path our code never takes, left out of the bundle. fastify
 * requires its ajv and fast-json-stringify compilers unless given compilers, and the sidecar gives its
 * own (sidecar/src/proxy/schemaless-compilers.ts: no route declares a schema): without this they would
 * ship, and be parsed, though never run. The stand-in fails loudly should that path ever be taken.
 */
const neverRequired = ["@fastify/ajv-compiler", "@fastify/fast-json-stringify-compiler"];
const leaveOutNeverRequired = {
  name: "mcpscope-leave-out-never-required",
  resolveId: (id) => (neverRequired.includes(id) ? `\0never-required:${id}` : undefined),
  load: (id) =>
    id.startsWith("\0never-required:")
      ? `module.exports = function () { throw new Error(${JSON.stringify(
          `${id.slice(16)} is not in the bundle: fastify got schemaless compilers (scripts/bundle.mjs)`,
        )}) }`
      : undefined,
};

const workspaces = process.argv.slice(2);
if (workspaces.length === 0 || workspaces.some((w) => w !== "sidecar" && w !== "operator")) {
  process.stderr.write("usage: node scripts/bundle.mjs sidecar|operator…\n");
  process.exit(64);
}

for (const workspace of workspaces) {
  const path = (relative) => fileURLToPath(new URL(`../${workspace}/${relative}`, import.meta.url));
  await rm(path("bundle"), { recursive: true, force: true });
  const output = await build({
    input: path("dist/main.js"),
    platform: "node",
    plugins: [leaveOutNeverRequired],
    logLevel: "warn",
    // The images run with NODE_ENV=production: fixed here too, so libraries' development branches go.
    transform: { define: { "process.env.NODE_ENV": '"production"' } },
    output: {
      dir: path("bundle"),
      format: "esm",
      entryFileNames: "main.js",
      chunkFileNames: "[name]-[hash].js",
      minify: true,
      // Class and function names survive minifying: logged errors keep their type, plugins their names.
      keepNames: true,
      // Non-ASCII characters escaped: a handful (a "–" in pino, box drawing in find-my-way) made V8 hold
      // the whole 1.2 MB main.js source as a two-byte string, 2.4 MB of heap instead of 1.2.
      charset: "ascii",
    },
  });
  // The image copies the folder alone: this tells Node its .js files are ES modules (no syntax sniffing).
  await writeFile(path("bundle/package.json"), `${JSON.stringify({ type: "module" })}\n`);
  // Which source modules each chunk holds, for the tests that check what a configuration loads. Kept
  // in dist/, out of the image.
  const chunks = Object.fromEntries(
    output.output.filter((o) => o.type === "chunk").map((chunk) => [chunk.fileName, chunk.moduleIds]),
  );
  await writeFile(path("dist/bundle-modules.json"), `${JSON.stringify(chunks, null, 1)}\n`);
}
