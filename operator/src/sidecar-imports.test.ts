import { execFile } from "node:child_process";
import { mkdtemp, readdir, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, relative } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

// The operator shares the sidecar's contract (names, ports, flags) and its metrics pipeline, never the
// proxy: what the operator's image ships and a running operator loads stays free of fastify, the MCP SDK
// and the sidecar's forwarding code (issue 16, item 5). (undici is fine: @kubernetes/client-node has its own.)
const operatorDir = fileURLToPath(new URL("../", import.meta.url));
const srcDir = fileURLToPath(new URL("./", import.meta.url));
const hookJs = fileURLToPath(new URL("../../sidecar/dist/testing/loaded-modules-hook.js", import.meta.url));
const sharedEntryPoints = ["@mcpscope/sidecar/constants", "@mcpscope/sidecar/telemetry"];

/** A path that belongs to the proxy side of the sidecar, never to the operator. */
const proxySide =
  /\/node_modules\/(fastify|@fastify\/[^/]+|@modelcontextprotocol\/sdk|ajv)\/|\/sidecar\/(dist|src)\/(proxy|stdio-bridge|observer|replicas|health)\//;

let dir = "";
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "mcpscope-operator-imports-"));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function sourceFiles(folder: string): Promise<string[]> {
  const entries = await readdir(folder, { recursive: true, withFileTypes: true });
  return entries
    .filter((e) => e.isFile() && e.name.endsWith(".ts") && !e.name.endsWith(".test.ts"))
    .map((e) => join(e.parentPath, e.name));
}

describe("what the operator takes from the sidecar package", () => {
  it("imports @mcpscope/sidecar only through its proxy-free entry points", async () => {
    const imports: string[] = [];
    for (const file of await sourceFiles(srcDir)) {
      const text = await readFile(file, "utf8");
      for (const match of text.matchAll(/from "(@mcpscope\/sidecar[^"]*)"/g))
        imports.push(`${relative(srcDir, file)}: ${match[1]}`);
    }
    expect(imports.length).toBeGreaterThan(0);
    for (const line of imports)
      expect(
        sharedEntryPoints.some((e) => line.endsWith(`: ${e}`)),
        line,
      ).toBe(true);
  });

  it("loading those entry points loads no fastify, MCP SDK or proxy module", async () => {
    const listFile = join(dir, "loaded.txt");
    // The hook writes its list on SIGTERM; emitting the event runs its listener at once.
    const script = `${sharedEntryPoints.map((e) => `await import(${JSON.stringify(e)});`).join("")}process.emit("SIGTERM");`;
    await promisify(execFile)(process.execPath, ["--import", hookJs, "--input-type=module", "-e", script], {
      cwd: operatorDir,
      env: { PATH: process.env.PATH ?? "", MCPSCOPE_LOADED_MODULES: listFile },
    });
    const loaded = (await readFile(listFile, "utf8")).split("\n");
    expect(loaded.filter((url) => url.includes("/sidecar/dist/constants.js"))).toHaveLength(1);
    expect(loaded.filter((url) => proxySide.test(url))).toEqual([]);
  });

  it("the operator's bundle (its image) holds no fastify, MCP SDK or proxy module", async () => {
    const chunks = JSON.parse(await readFile(join(operatorDir, "dist/bundle-modules.json"), "utf8")) as Record<
      string,
      string[]
    >;
    const modules = Object.values(chunks).flat();
    expect(modules.some((m) => m.endsWith("/sidecar/dist/contract.js"))).toBe(true);
    expect(modules.filter((m) => proxySide.test(m))).toEqual([]);
  });
});
