#!/usr/bin/env node
// Bundles a workspace's built entry point (WORKSPACE/dist/main.js, from `tsc -b`) and every package it
// imports into WORKSPACE/bundle/: main.js plus a chunk per dynamic import, so what a configuration does not
// use (OTLP exporters, the tracing SDK, the MCP SDK of the stdio bridge) stays unloaded. The images copy
// only that folder: no node_modules at all.
// Usage: node scripts/bundle.mjs sidecar [operator]
import { readFile, rm, writeFile } from "node:fs/promises";
import { createRequire } from "node:module";
import { dirname } from "node:path";
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
 * An ES module import of a builtin reads every one of its exports: Node builds the module's ES face that
 * way, and some exports are getters that load more. node:http's WebSocket, CloseEvent and MessageEvent
 * load Node's own copy of undici (fetch, node:http2, node:zlib, web streams): ≈ 9 MB of RSS alone, 1.8 MB
 * in the sidecar (README "The bill"); node:process's report loads its reporter (0.4 MB; OpenTelemetry's
 * resources import node:process). Required as CommonJS, a getter runs only when read, so these imports
 * become requires. Not every builtin: as requires all of them measured 2.5 MiB more anonymous memory.
 */
const asCommonJs = ["http", "process"];
const builtinsAsCommonJs = {
  name: "mcpscope-builtins-as-commonjs",
  resolveId: (id, importer) => {
    const name = id.replace(/^node:/, "");
    return asCommonJs.includes(name) && importer !== `\0commonjs:${name}` ? `\0commonjs:${name}` : undefined;
  },
  load: (id) =>
    id.startsWith("\0commonjs:") ? `module.exports = require("node:${id.slice("\0commonjs:".length)}");` : undefined,
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

/**
 * Builtins that libraries require at their top for what the sidecar never does: TLS, HTTP/2, compression.
 * fastify's server requires node:https and node:http2, reply-from both, undici its HTTP/2 client, ws (below)
 * tls, https, crypto and zlib; OpenTelemetry's resources import crypto for a detector the sidecar does not
 * run. Loaded, node:https brings tls and crypto: ≈ 1.4 MB of RSS, most of it Node's own code and data.
 * Each becomes a face with every one of the builtin's properties (the non-enumerable ones too, such as
 * zlib's Z_SYNC_FLUSH) as an accessor that loads it on first use, so an https upstream or OTLP endpoint
 * still gets the real thing. http2's constants, which undici and reply-from read at their top, are copied
 * in: HTTP/2's protocol names and numbers. The faces are written from the Node that runs the build, which
 * must be the one the image runs (package.json's engines), and checked against it before they are used.
 */
const onFirstUse = ["crypto", "http2", "https", "tls", "zlib"];
const requireHere = createRequire(import.meta.url);
const nodeMajor = Number(process.versions.node.split(".")[0]);
const enginesMajor = Number(/>=\s*(\d+)/.exec(requireHere("../package.json").engines.node)?.[1]);

/**
 * Source that gives `target` each of `keys` as an accessor reading (and writing: tls's defaults are
 * settings) the same property of `load()`, with `source`'s enumerability.
 */
function firstUseProperties(target, keys, source) {
  return keys.map((key) => {
    const name = JSON.stringify(key);
    const enumerable = Object.getOwnPropertyDescriptor(source, key)?.enumerable ?? true;
    return `Object.defineProperty(${target}, ${name}, { configurable: true, enumerable: ${enumerable}, get: () => load()[${name}], set: (value) => { load()[${name}] = value; } });`;
  });
}

/**
 * Runs a face's source against the real module and fails the build unless it shows `real` as it is:
 * every key, its enumerability, and the value of each data property (`copied` ones by their JSON).
 */
function checkFace(label, source, real, keys, copied = []) {
  const module = { exports: {} };
  new Function("exports", "require", "module", source)(module.exports, requireHere, module);
  const face = module.exports;
  for (const key of keys) {
    const own = Object.getOwnPropertyDescriptor(real, key);
    const sameEnumerability = Object.getOwnPropertyDescriptor(face, key)?.enumerable === own?.enumerable;
    // An accessor of the real module (crypto's deprecated fips, say) is not read: reading may warn.
    const sameValue =
      own === undefined ||
      !("value" in own) ||
      (copied.includes(key)
        ? JSON.stringify(face[key]) === JSON.stringify(own.value)
        : Object.is(face[key], own.value));
    if (own === undefined || !sameEnumerability || !sameValue) {
      throw new Error(`scripts/bundle.mjs: the ${label} face shows ${key} differently from ${label} itself`);
    }
  }
  return source;
}

const builtinsOnFirstUse = {
  name: "mcpscope-builtins-on-first-use",
  buildStart: () => {
    if (nodeMajor !== enginesMajor) {
      throw new Error(`scripts/bundle.mjs: run it on Node ${enginesMajor} (package.json's engines), not ${nodeMajor}`);
    }
  },
  resolveId: (id, importer) => {
    const name = id.replace(/^node:/, "");
    return onFirstUse.includes(name) && importer !== `\0on-first-use:${name}` ? `\0on-first-use:${name}` : undefined;
  },
  load: (id) => {
    if (!id.startsWith("\0on-first-use:")) return undefined;
    const name = id.slice("\0on-first-use:".length);
    const builtin = requireHere(`node:${name}`);
    const keys = Object.getOwnPropertyNames(builtin);
    // Read at the top of undici and reply-from, so copied in rather than loaded on first use.
    const copied = name === "http2" ? ["constants"] : [];
    const source = [
      `let builtin;`,
      `const load = () => (builtin ??= require("node:${name}"));`,
      ...copied.map((key) => `exports[${JSON.stringify(key)}] = ${JSON.stringify(builtin[key])};`),
      ...firstUseProperties(
        "exports",
        keys.filter((key) => !copied.includes(key)),
        builtin,
      ),
    ].join("\n");
    return checkFace(`node:${name}`, source, builtin, keys, copied);
  },
};

/**
 * ws, which @fastify/http-proxy requires at its top for WebSocket proxying (MCP has none): loaded only if
 * used. A constructible face with ws's statics as accessors (http-proxy reads WebSocket.OPEN and the
 * like); `instanceof` the face asks the real class, once loaded.
 */
const wsOnFirstUse = {
  name: "mcpscope-ws-on-first-use",
  resolveId: (id, importer) =>
    id === "ws" && importer?.replaceAll("\\", "/").includes("/node_modules/@fastify/http-proxy/")
      ? `\0on-first-use-ws:${requireHere.resolve("ws", { paths: [dirname(importer)] })}`
      : undefined,
  load: (id) => {
    if (!id.startsWith("\0on-first-use-ws:")) return undefined;
    const wsPath = id.slice("\0on-first-use-ws:".length);
    const ws = requireHere(wsPath);
    const statics = Object.getOwnPropertyNames(ws).filter((key) => !["length", "name", "prototype"].includes(key));
    const source = [
      `let ws;`,
      `const load = () => (ws ??= require(${JSON.stringify(wsPath)}));`,
      `function WebSocket(...args) { return Reflect.construct(load(), args, new.target && new.target !== WebSocket ? new.target : load()); }`,
      `Object.defineProperty(WebSocket, Symbol.hasInstance, { value: (value) => ws !== undefined && value instanceof ws });`,
      ...firstUseProperties("WebSocket", statics, ws),
      `module.exports = WebSocket;`,
    ].join("\n");
    return checkFace("ws", source, ws, statics);
  },
};

/**
 * undici's HTTP/1 parser, llhttp, is WebAssembly that undici ships as base64 in a JS module (with and
 * without SIMD): in the bundle that is 145 KB of main.js's source, which V8 keeps, plus the 72 KB string
 * the module holds and the 54 KB buffer it decodes and keeps. Here each module becomes one that reads a
 * .wasm file written beside the chunks, once, when undici compiles the parser: the bytes are garbage
 * after that. The build fails if undici's modules no longer read as expected.
 */
const llhttpWasm = { "llhttp_simd-wasm.js": "llhttp_simd.wasm", "llhttp-wasm.js": "llhttp.wasm" };
const llhttpWasmFromFiles = {
  name: "mcpscope-llhttp-wasm-from-files",
  async load(id) {
    const path = id.replaceAll("\\", "/");
    const module = Object.keys(llhttpWasm).find((name) => path.endsWith(`/node_modules/undici/lib/llhttp/${name}`));
    if (module === undefined) return undefined;
    const source = await readFile(id, "utf8");
    const base64 = /^const wasmBase64 = '([A-Za-z0-9+/=]+)'$/m.exec(source)?.[1];
    if (base64 === undefined || !source.includes("Object.defineProperty(module, 'exports', {")) {
      throw new Error(`scripts/bundle.mjs: undici's ${module} changed; review how its WebAssembly is loaded`);
    }
    const fileName = llhttpWasm[module];
    this.emitFile({ type: "asset", fileName, source: Buffer.from(base64, "base64") });
    return `const { readFileSync } = require("node:fs");
Object.defineProperty(module, "exports", { get: () => readFileSync(new URL(${JSON.stringify(`./${fileName}`)}, import.meta.url)) });`;
  },
};

/**
 * reply-from builds an http.Agent and an https.Agent at registration even when undici carries every
 * request (it reads them only on its node:http path), which alone would load node:https. With undici the
 * agents stay unset. The build fails if reply-from's code no longer reads as expected.
 */
const agentsBranch = "  } else if (!globalAgent) {\n";
const replyFromAgentsOnlyWithoutUndici = {
  name: "mcpscope-reply-from-agents-only-without-undici",
  transform: (code, id) => {
    if (!id.replaceAll("\\", "/").endsWith("/node_modules/@fastify/reply-from/lib/request.js")) return undefined;
    if (!code.includes(agentsBranch) || !code.includes("const hasUndiciOptions = shouldUseUndici(opts)")) {
      throw new Error("scripts/bundle.mjs: @fastify/reply-from's buildRequest changed; review its agents patch");
    }
    return code.replace(
      agentsBranch,
      "  } else if (hasUndiciOptions) {\n    // mcpscope's bundle: undici carries every request, so no agent is built\n" +
        agentsBranch,
    );
  },
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
    plugins: [
      leaveOutNeverRequired,
      builtinsAsCommonJs,
      ...(workspace === "sidecar"
        ? [undiciDispatchers, llhttpWasmFromFiles, builtinsOnFirstUse, wsOnFirstUse, replyFromAgentsOnlyWithoutUndici]
        : []),
    ],
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
