import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { createServer, type Server } from "node:https";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createCertificateAuthority, issueCertificate } from "@mcpscope/operator/certs";
import { freePort, statelessMcpHandler } from "@mcpscope/sidecar/testing";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import { McpServer } from "@modelcontextprotocol/sdk/server/mcp.js";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { z } from "zod";
import { type SidecarProcess, startSidecarProcess } from "./harness/sidecar-process.js";

// The image's bundle loads node:tls (and node:https, node:crypto, node:zlib) only on first use
// (scripts/bundle.mjs): an https upstream must still work through the bundle, undici's connections
// reaching node:tls through its face. (The faces are checked against the builtins at build time.)
let upstream: Server;
let sidecar: SidecarProcess;
let directory = "";

beforeAll(async () => {
  const ca = await createCertificateAuthority("mcpscope-test-ca", 1);
  const serving = await issueCertificate(ca, {
    commonName: "127.0.0.1",
    ipAddresses: ["127.0.0.1"],
    usage: "server",
    validityDays: 1,
  });
  directory = await mkdtemp(join(tmpdir(), "mcpscope-tls-upstream-"));
  const caFile = join(directory, "ca.pem");
  await writeFile(caFile, ca.certPem);

  upstream = createServer(
    { key: serving.keyPem, cert: serving.certPem },
    statelessMcpHandler(
      () => {
        const server = new McpServer({ name: "tls-upstream", version: "1.0.0" });
        server.registerTool("echo", { inputSchema: { message: z.string() } }, async ({ message }) => ({
          content: [{ type: "text", text: message }],
        }));
        return server;
      },
      () => true,
    ),
  );
  const port = await freePort();
  await new Promise<void>((resolve) => upstream.listen(port, "127.0.0.1", resolve));
  sidecar = await startSidecarProcess(
    {
      MCP_UPSTREAM_URL: `https://127.0.0.1:${port}`,
      MCP_UPSTREAM_NAME: "tls-upstream",
      // Node's default trust store plus the test's CA: what a pod gets with a mounted CA bundle.
      NODE_EXTRA_CA_CERTS: caFile,
      OTEL_TRACES_EXPORTER: "none",
    },
    {},
    { bundle: true },
  );
}, 60_000);

afterAll(async () => {
  await sidecar?.stop();
  await new Promise((resolve) => upstream?.close(resolve));
  if (directory) await rm(directory, { recursive: true, force: true });
});

describe("the bundled sidecar in front of an https upstream", () => {
  it("forwards a real client's tool call over TLS and counts it", async () => {
    const client = new Client({ name: "tls-client", version: "1.0.0" });
    await client.connect(new StreamableHTTPClientTransport(new URL(`${sidecar.proxyUrl}/mcp`)));
    try {
      const result = await client.callTool({ name: "echo", arguments: { message: "over tls" } });
      expect(result.content).toEqual([{ type: "text", text: "over tls" }]);
    } finally {
      await client.close();
    }
    const metrics = await (await fetch(sidecar.metricsUrl)).text();
    expect(metrics).toMatch(/mcp_tool_calls_total\{[^}]*server_name="tls-upstream"[^}]*\} 1/);
    const health = (await (await fetch(`${sidecar.proxyUrl}/health`)).json()) as { status: string };
    expect(health.status).toBe("ok");
  });
});
