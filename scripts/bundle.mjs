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

/**
 * An ES module import of node:http loads Node's own copy of undici (fetch, node:http2, node:zlib, web
 * streams): Node builds a builtin's ES module face by reading each of its exports, and node:http's
 * WebSocket, CloseEvent and MessageEvent are getters that load it. Alone that is ≈ 9 MB of RSS; in the
 * sidecar 1.8 MB (README "The bill"). Required as CommonJS, the getters run only when read, so every
 * import of node:http in a bundle becomes a require.
 */
const httpAsCommonJs = {
  name: "mcpscope-http-as-commonjs",
  resolveId: (id, importer) =>
    (id === "node:http" || id === "http") && importer !== "\0commonjs:node:http" ? "\0commonjs:node:http" : undefined,
  load: (id) => (id === "\0commonjs:node:http" ? 'module.exports = require("node:http");' : undefined),
};

/**
 * undici's entry requires all of undici: fetch, WebSocket, the mocks, the cache stores (node:sqlite),
 * the interceptors (node:zlib, node:dns). The sidecar and reply-from use its dispatchers only, so the
 * sidecar's bundle gets an entry with exactly those and their request API, added as undici's entry
 * adds it (1.7 MB of RSS less, README "The bill"). ProxyAgent, which reply-from reads only for a proxy
 * option the sidecar never sets, loads on first use.
 */
const undiciLib = (path) =>
  JSON.stringify(fileURLToPath(new URL(`../node_modules/undici/lib/${path}`, import.meta.url)));
const undiciDispatchers = {
  name: "mcpscope-undici-dispatchers",
  resolveId: (id) => (id === "undici" ? "\0undici-dispatchers" : undefined),
  load: (id) =>
    id === "\0undici-dispatchers"
      ? `const Dispatcher = require(${undiciLib("dispatcher/dispatcher.js")});
Object.assign(Dispatcher.prototype, require(${undiciLib("api/index.js")}));
const { getGlobalDispatcher, setGlobalDispatcher } = require(${undiciLib("global.js")});
module.exports = {
  Dispatcher,
  Client: require(${undiciLib("dispatcher/client.js")}),
  Pool: require(${undiciLib("dispatcher/pool.js")}),
  BalancedPool: require(${undiciLib("dispatcher/balanced-pool.js")}),
  Agent: require(${undiciLib("dispatcher/agent.js")}),
  get ProxyAgent() { return require(${undiciLib("dispatcher/proxy-agent.js")}); },
  errors: require(${undiciLib("core/errors.js")}),
  getGlobalDispatcher,
  setGlobalDispatcher,
};`
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
    // The operator keeps undici's entry: @kubernetes/client-node has its own undici and uses its fetch.
    plugins: [leaveOutNeverRequired, httpAsCommonJs, ...(workspace === "sidecar" ? [undiciDispatchers] : [])],
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
