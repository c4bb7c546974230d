import { type ChildProcess, spawn } from "node:child_process";
import { cp, mkdtemp, readdir, readFile, rm } from "node:fs/promises";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { sidecarCommandLineFlags, sidecarNodeFlags } from "./runtime-flags.js";
import { everythingStdioCommand, stopProcess } from "./testing/everything-server.js";
import { freePort } from "./testing/free-port.js";
import { readMetrics, sampleValue } from "./testing/prometheus-text.js";

// The bundle as the image holds it: sidecar/bundle copied alone into a folder with no node_modules
// above it, so every import must be inside the bundle. Command mode (the stdio bridge and its MCP SDK
// chunk) and traces (the tracing SDK chunk, protobuf included) are the lazily loaded parts.
const bundleDir = fileURLToPath(new URL("../bundle/", import.meta.url));

/** An OTLP/HTTP sink that only records which signal each export was: a stand-in for a collector. */
function startOtlpSink(): Promise<{ url: string; paths: string[]; server: Server }> {
  const paths: string[] = [];
  const server = createServer((req, res) => {
    req.resume();
    req.on("end", () => {
      paths.push(req.url ?? "");
      res.writeHead(200, { "content-type": req.headers["content-type"] ?? "application/json" }).end();
    });
  });
  return new Promise((resolve) =>
    server.listen(0, "127.0.0.1", () =>
      resolve({ url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, paths, server }),
    ),
  );
}

let appDir = "";
let child: ChildProcess | undefined;
let otlp: Awaited<ReturnType<typeof startOtlpSink>>;
beforeAll(async () => {
  appDir = await mkdtemp(join(tmpdir(), "mcpscope-bundled-"));
  await cp(bundleDir, join(appDir, "sidecar/bundle"), { recursive: true });
  otlp = await startOtlpSink();
});
afterAll(async () => {
  if (child) await stopProcess(child);
  otlp?.server.close();
  await rm(appDir, { recursive: true, force: true });
});

describe("the bundled sidecar, alone in a folder as in its image", () => {
  it("has no character above U+00FF in its code, so V8 holds each source as a one-byte string", async () => {
    // One such character makes the whole file a two-byte string: twice its size of heap (2.4 MB for main.js).
    for (const file of (await readdir(bundleDir)).filter((name) => name.endsWith(".js"))) {
      const source = await readFile(join(bundleDir, file), "utf8");
      const wide = [...source].find((char) => (char.codePointAt(0) ?? 0) > 0xff);
      expect(wide, `${file} holds ${JSON.stringify(wide)}`).toBeUndefined();
    }
  });

  it("holds undici's WebAssembly parser as .wasm files beside the chunks, not as base64 in their source", async () => {
    const files = await readdir(bundleDir);
    for (const file of files.filter((name) => name.endsWith(".js"))) {
      // "AGFzbQ" is base64 for WebAssembly's magic number, "\0asm".
      expect(await readFile(join(bundleDir, file), "latin1"), file).not.toContain("AGFzbQ");
    }
    for (const wasm of ["llhttp_simd.wasm", "llhttp.wasm"]) {
      expect(files).toContain(wasm);
      expect((await readFile(join(bundleDir, wasm))).subarray(0, 4).toString("latin1"), wasm).toBe("\0asm");
    }
  });

  it("runs a stdio server in command mode, counts its tool call, exports metrics and traces over OTLP, and gives back its start's memory once", async () => {
    const [port, metricsPort] = [await freePort(), await freePort()];
    // With the image's flags: --expose-gc lets it give back what its start left behind.
    child = spawn(process.execPath, [...sidecarNodeFlags, ...sidecarCommandLineFlags, "sidecar/bundle/main.js"], {
      cwd: appDir,
      env: {
        PATH: process.env.PATH ?? "",
        HOST: "127.0.0.1",
        METRICS_HOST: "127.0.0.1",
        PORT: String(port),
        METRICS_PORT: String(metricsPort),
        MCP_UPSTREAM_NAME: "bundled",
        MCP_UPSTREAM_COMMAND: everythingStdioCommand(),
        OTEL_EXPORTER_OTLP_ENDPOINT: otlp.url,
        OTEL_METRIC_EXPORT_INTERVAL: "500",
        OTEL_BSP_SCHEDULE_DELAY: "100",
        LOG_LEVEL: "debug",
      },
      stdio: ["ignore", "pipe", "inherit"],
    });
    let logs = "";
    child.stdout?.on("data", (chunk: Buffer) => {
      logs += chunk.toString();
    });
    const proxy = `http://127.0.0.1:${port}`;
    await expect
      .poll(
        () =>
          fetch(`${proxy}/livez`).then(
            (r) => r.ok,
            () => false,
          ),
        { timeout: 20_000, interval: 100 },
      )
      .toBe(true);
    const client = new Client({ name: "bundled-sidecar-test", version: "1.0.0" });
    const transport = new StreamableHTTPClientTransport(new URL(`${proxy}/mcp`));
    await client.connect(transport);
    expect((await client.listTools()).tools.map((t) => t.name)).toContain("echo");
    expect(await client.callTool({ name: "echo", arguments: { message: "bundled" } })).toEqual({
      content: [{ type: "text", text: "Echo: bundled" }],
    });
    await client.close();
    const metrics = await readMetrics(`http://127.0.0.1:${metricsPort}/metrics`);
    expect(sampleValue(metrics, "mcp_tool_calls_total", { server_name: "bundled", tool_name: "echo" })).toBe(1);
    await expect.poll(() => otlp.paths.includes("/v1/traces"), { timeout: 10_000 }).toBe(true);
    await expect.poll(() => otlp.paths.includes("/v1/metrics"), { timeout: 10_000 }).toBe(true);
    const released = () =>
      logs
        .split("\n")
        .filter((line) => line.includes('"startup memory released"'))
        .map((line) => JSON.parse(line) as { rssBefore: number; rssAfter: number });
    await expect.poll(() => released().length, { timeout: 10_000 }).toBe(1);
    expect(released()[0]?.rssAfter).toBeGreaterThan(0);
  });
});
