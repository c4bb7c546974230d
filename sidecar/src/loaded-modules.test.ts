import { spawn } from "node:child_process";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startEverythingServer, stopProcess, waitForOutput } from "./testing/everything-server.js";
import { freePort } from "./testing/free-port.js";
import { postInitialize } from "./testing/mcp-http.js";

// Each package a pod loads costs it anonymous memory (measured in README "The bill"): a configuration
// loads only what it runs. Both builds run with a hook listing modules: dist/ (tsc) and the bundle the
// image runs (scripts/bundle.mjs), whose chunks are mapped back to the modules they hold.
const built = (path: string) => fileURLToPath(new URL(`../${path}`, import.meta.url));
const entryPoints = { dist: built("dist/main.js"), bundle: built("bundle/main.js") };
type Build = keyof typeof entryPoints;
const hookJs = built("dist/testing/loaded-modules-hook.js");

/** The source modules in each bundle chunk, as scripts/bundle.mjs records them. */
async function bundleChunks(): Promise<Record<string, string[]>> {
  return JSON.parse(await readFile(built("dist/bundle-modules.json"), "utf8")) as Record<string, string[]>;
}

/** The files a loaded URL stands for: itself, or for a bundle chunk the modules it holds. */
function sourcesOf(url: string, chunks: Record<string, string[]>): string[] {
  const chunk = /\/bundle\/([^/]+\.js)$/.exec(url)?.[1];
  return chunk ? (chunks[chunk] ?? []) : [url];
}

let dir = "";
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "mcpscope-modules-"));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** The loaded-modules hook's list for a sidecar started with env, stopped once listening (after `before`, if given). */
async function loadedList(
  build: Build,
  name: string,
  env: Record<string, string>,
  before?: (port: number) => Promise<void>,
): Promise<string[]> {
  const listFile = join(dir, `${build}-${name}.txt`);
  const port = await freePort();
  const child = spawn(process.execPath, ["--import", hookJs, entryPoints[build]], {
    env: {
      PATH: process.env.PATH ?? "",
      HOST: "127.0.0.1",
      METRICS_HOST: "127.0.0.1",
      PORT: String(port),
      METRICS_PORT: String(await freePort()),
      MCP_UPSTREAM_NAME: name,
      MCP_UPSTREAM_URL: "http://127.0.0.1:1",
      MCPSCOPE_LOADED_MODULES: listFile,
      ...env,
    },
    stdio: ["ignore", "pipe", "pipe"],
  });
  await waitForOutput(child, /mcpscope sidecar listening/, 15_000, "sidecar");
  await before?.(port);
  await stopProcess(child);
  return (await readFile(listFile, "utf8")).split("\n");
}

/** The package directory of every module a sidecar started with env loaded. */
async function packagesLoaded(build: Build, name: string, env: Record<string, string>): Promise<string[]> {
  const list = await loadedList(build, name, env);
  const chunks = build === "bundle" ? await bundleChunks() : {};
  const files = list.flatMap((url) => sourcesOf(url, chunks));
  // file:///…/node_modules/@scope/name/lib/x.js → /…/node_modules/@scope/name
  const packages = files.flatMap((file) => {
    const match = /^(?:file:\/\/)?(.*\/node_modules\/(?:@[^/]+\/)?[^/]+)\//.exec(file);
    return match?.[1] ? [match[1]] : [];
  });
  return [...new Set(packages)];
}

const named = (packages: string[], name: string) => packages.filter((p) => p.endsWith(`/node_modules/${name}`));
const neverInUrlMode = [
  "ajv", // fastify's validator: no route has a schema
  "@fastify/ajv-compiler",
  "@opentelemetry/exporter-metrics-otlp-http", // OTLP push: no endpoint configured
  "@opentelemetry/otlp-transformer",
  "@opentelemetry/sdk-node", // tracing: off
  "@opentelemetry/sdk-trace-base",
  "@modelcontextprotocol/sdk", // stdio bridge and legacy SSE probe: neither in use
];

describe.each(Object.keys(entryPoints) as Build[])("what the sidecar loads, from %s", (build) => {
  it("URL mode without OTLP or tracing loads no OTLP exporter, tracing SDK, MCP SDK or ajv, and one undici", async () => {
    const packages = await packagesLoaded(build, "plain", { OTEL_TRACES_EXPORTER: "none" });
    expect(named(packages, "fastify")).toHaveLength(1);
    for (const name of neverInUrlMode) expect(named(packages, name), name).toEqual([]);
    // reply-from and the sidecar's own upstream pool share one copy.
    expect(named(packages, "undici")).toHaveLength(1);
  });

  it("loads the OTLP metrics exporter once a metrics endpoint is configured, and still no tracing SDK", async () => {
    const packages = await packagesLoaded(build, "otlp", {
      OTEL_TRACES_EXPORTER: "none",
      OTEL_EXPORTER_OTLP_METRICS_ENDPOINT: "http://127.0.0.1:1/v1/metrics",
    });
    expect(named(packages, "@opentelemetry/exporter-metrics-otlp-http")).toHaveLength(1);
    expect(named(packages, "@opentelemetry/sdk-node")).toEqual([]);
  });
});

describe("Node builtins the bundle loads", () => {
  // Measured in README "The bill": an ES module import of node:http loads Node's own undici (its fetch,
  // web streams), ≈ 1.8 MB of RSS in the sidecar; undici's full entry loads its fetch (web streams too),
  // mocks and cache stores. scripts/bundle.mjs requires node:http and takes undici's dispatchers alone.
  // And TLS, HTTP/2 and compression, which fastify, reply-from, undici, ws and OpenTelemetry require at
  // their top for what the sidecar does not do (≈ 1.4 MB of RSS for node:https with tls and crypto):
  // scripts/bundle.mjs gives them faces that load each on first use.
  it("in URL mode, through a proxied exchange, loads neither Node's own undici, web streams, TLS, HTTP/2 nor zlib", async () => {
    const upstream = await startEverythingServer("streamableHttp");
    try {
      const list = await loadedList(
        "bundle",
        "builtins",
        { MCP_UPSTREAM_URL: upstream.url, OTEL_TRACES_EXPORTER: "none" },
        async (port) => {
          const response = await postInitialize(`http://127.0.0.1:${port}`);
          expect(response.statusCode).toBe(200);
          expect(await response.body.text()).toContain("serverInfo");
        },
      );
      const builtins = list.filter((line) => line.startsWith("builtin:")).map((line) => line.slice(8));
      expect(builtins).toContain("http"); // the list holds what the bundle loads itself
      const unused = [
        "internal/deps/undici/undici",
        "internal/webstreams/readablestream",
        "https",
        "tls",
        "crypto",
        "http2",
        "zlib",
      ];
      for (const name of unused) {
        expect(builtins, name).not.toContain(name);
      }
    } finally {
      await upstream.stop();
    }
  });
});
