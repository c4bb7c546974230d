import {
  everythingStdioCommand,
  type MetricPoint,
  type RunningPaginatedServer,
  readMetrics,
  sampleValue,
  startPaginatedModernServer,
  startPaginatedServer,
  startTestSidecar,
} from "@mcpscope/sidecar/testing";
import { Client as Client2, StreamableHTTPClientTransport as Transport2 } from "@modelcontextprotocol/client";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import { Tiktoken } from "js-tiktoken/lite";
import o200kBase from "js-tiktoken/ranks/o200k_base";
import { describe, expect, inject, it } from "vitest";
import { runProgram } from "./harness/programs.js";

// The context-cost metrics through a real sidecar equal what real clients saw: the official SDK
// 1.x and 2.x clients and the Python `mcp` client, on both protocol generations, with a catalogue
// that comes in three pages (counts and bytes exactly; tokens within the estimator's bounds of
// o200k_base), and a stdio server in command mode.

const o200k = new Tiktoken(o200kBase);
const peer = new URL("../python/mcp_peer.py", import.meta.url).pathname;
const serverName = "forecast";
/** One short result, one of a few thousand tokens, one over the default budget (25,000 tokens). */
const paragraphs = [1, 30, 900];
const calledTool = "forecast_2";

/** What a client saw: every page of the catalogue, the results of its calls, the instructions. */
interface SeenByClient {
  protocolVersion: string | undefined;
  /** tools/list calls the client made (the SDK 2.x client pages within one). */
  pages: number;
  tools: Array<{ name: string }>;
  results: unknown[];
  instructions: string | undefined;
}

async function listAllPages(
  list: (cursor: string | undefined) => Promise<{ tools: Array<{ name: string }>; nextCursor?: string | undefined }>,
) {
  const tools: Array<{ name: string }> = [];
  let pages = 0;
  let cursor: string | undefined;
  do {
    const page = await list(cursor);
    pages += 1;
    tools.push(...page.tools);
    cursor = page.nextCursor;
  } while (cursor !== undefined);
  return { pages, tools };
}

async function withSdk1(url: string): Promise<SeenByClient> {
  const client = new Client({ name: "mcpscope-context-cost", version: "1.0.0" });
  const transport = new StreamableHTTPClientTransport(new URL(`${url}/mcp`));
  await client.connect(transport);
  const { pages, tools } = await listAllPages((cursor) => client.listTools(cursor === undefined ? {} : { cursor }));
  const results = [];
  for (const n of paragraphs)
    results.push(await client.callTool({ name: calledTool, arguments: { city: "Zürich", paragraphs: n } }));
  const seen = {
    protocolVersion: transport.protocolVersion,
    pages,
    tools,
    results,
    instructions: client.getInstructions(),
  };
  await transport.terminateSession();
  await client.close();
  return seen;
}

async function withSdk2(url: string): Promise<SeenByClient> {
  const client = new Client2(
    { name: "mcpscope-context-cost", version: "1.0.0" },
    { versionNegotiation: { mode: "auto" } },
  );
  await client.connect(new Transport2(new URL(`${url}/mcp`)));
  const { pages, tools } = await listAllPages((cursor) => client.listTools(cursor === undefined ? {} : { cursor }));
  const results = [];
  for (const n of paragraphs)
    results.push(await client.callTool({ name: calledTool, arguments: { city: "Zürich", paragraphs: n } }));
  const seen = {
    protocolVersion: client.getNegotiatedProtocolVersion(),
    pages,
    tools,
    results,
    instructions: client.getInstructions(),
  };
  await client.close();
  return seen;
}

async function withPython(url: string): Promise<SeenByClient> {
  const run = await runProgram(inject("tools").PYTHON_MCP, [
    peer,
    "catalogue",
    `${url}/mcp`,
    "auto",
    calledTool,
    ...paragraphs.map(String),
  ]);
  if (run.code !== 0) throw new Error(`python client failed (${run.code}):\n${run.stderr}`);
  return JSON.parse(run.stdout) as SeenByClient;
}

const tokens = (value: unknown) => o200k.encode(typeof value === "string" ? value : JSON.stringify(value)).length;

/** The estimate is within ±`relative` of o200k (or `absolute` tokens). */
function expectWithin(estimate: number, actual: number, relative: number, what: string, absolute = 0) {
  const off = Math.abs(estimate - actual);
  expect({ what, estimate, actual, within: off <= relative * actual || off <= absolute }).toEqual({
    what,
    estimate,
    actual,
    within: true,
  });
}

/** Asserts every context-cost metric against what the client saw. */
function expectMetricsMatch(metrics: MetricPoint[], seen: SeenByClient, server: RunningPaginatedServer) {
  const labels = { server_name: serverName };
  expect(seen.tools.map((t) => t.name)).toEqual(server.tools.map((t) => t.name));
  // Three pages on the wire (the SDK 2.x client follows nextCursor itself; the others page by hand).
  expect(sampleValue(metrics, "mcp_requests_total", { ...labels, method: "tools/list", status: "ok" })).toBe(
    Math.ceil(server.tools.length / server.pageSize),
  );
  // Counts and bytes exactly.
  expect(sampleValue(metrics, "mcp_tools_listed", labels)).toBe(seen.tools.length);
  expect(sampleValue(metrics, "mcp_tools_list_bytes", labels)).toBe(Buffer.byteLength(JSON.stringify(seen.tools)));
  // Tokens within the bounds the README states.
  expectWithin(sampleValue(metrics, "mcp_tools_list_tokens", labels), tokens(seen.tools), 0.2, "catalogue");
  for (const tool of seen.tools) {
    const estimate = sampleValue(metrics, "mcp_tool_definition_tokens", { ...labels, tool_name: tool.name });
    expectWithin(estimate, tokens(tool), 0.25, tool.name, 10);
  }
  expect(seen.instructions).toBe(server.instructions);
  expectWithin(
    sampleValue(metrics, "mcp_instructions_tokens", labels),
    tokens(server.instructions),
    0.2,
    "instructions",
  );
  const result = { ...labels, tool_name: calledTool };
  expect(sampleValue(metrics, "mcp_tool_result_tokens_count", result)).toBe(paragraphs.length);
  const seenTokens = seen.results.map(tokens);
  expectWithin(
    sampleValue(metrics, "mcp_tool_result_tokens_sum", result),
    seenTokens.reduce((a, b) => a + b, 0),
    0.2,
    "results",
  );
  // The one result over 25,000 tokens is the one over the default budget's bucket.
  expect(seenTokens.filter((t) => t > 25_000)).toHaveLength(1);
  expect(sampleValue(metrics, "mcp_tool_result_tokens_bucket", { ...result, le: "25000" })).toBe(paragraphs.length - 1);
}

const scenarios = [
  { client: "the SDK 1.x client", protocol: "2025-11-25", start: startPaginatedServer, converse: withSdk1 },
  { client: "the SDK 2.x client", protocol: "2025-11-25", start: startPaginatedServer, converse: withSdk2 },
  { client: "the SDK 2.x client", protocol: "2026-07-28", start: startPaginatedModernServer, converse: withSdk2 },
  { client: "the Python mcp client", protocol: "2025-11-25", start: startPaginatedServer, converse: withPython },
  { client: "the Python mcp client", protocol: "2026-07-28", start: startPaginatedModernServer, converse: withPython },
] as const;

describe("context-cost metrics through the sidecar equal what the client saw", { timeout: 120_000 }, () => {
  for (const { client, protocol, start, converse } of scenarios) {
    it(`${client}, protocol ${protocol}, a catalogue in three pages`, async () => {
      const server = await start();
      const sidecar = await startTestSidecar({ MCP_UPSTREAM_URL: server.url, MCP_UPSTREAM_NAME: serverName });
      try {
        const seen = await converse(sidecar.proxyUrl);
        expect(seen.protocolVersion).toBe(protocol);
        expectMetricsMatch(await readMetrics(sidecar.metricsUrl), seen, server);
      } finally {
        await sidecar.close();
        await server.close();
      }
    });
  }

  it("a stdio server in command mode (server-everything), with the SDK 1.x client", async () => {
    const sidecar = await startTestSidecar({
      MCP_UPSTREAM_COMMAND: everythingStdioCommand(),
      MCP_UPSTREAM_NAME: "everything",
    });
    try {
      const client = new Client({ name: "mcpscope-context-cost", version: "1.0.0" });
      const transport = new StreamableHTTPClientTransport(new URL(`${sidecar.proxyUrl}/mcp`));
      await client.connect(transport);
      const { tools } = await listAllPages((cursor) => client.listTools(cursor === undefined ? {} : { cursor }));
      const image = await client.callTool({ name: "get-tiny-image", arguments: {} });
      const instructions = client.getInstructions();
      await transport.terminateSession();
      await client.close();

      const metrics = await readMetrics(sidecar.metricsUrl);
      const labels = { server_name: "everything" };
      expect(sampleValue(metrics, "mcp_tools_listed", labels)).toBe(tools.length);
      expect(sampleValue(metrics, "mcp_tools_list_bytes", labels)).toBe(Buffer.byteLength(JSON.stringify(tools)));
      expectWithin(sampleValue(metrics, "mcp_tools_list_tokens", labels), tokens(tools), 0.2, "catalogue");
      expect(instructions).toBeDefined();
      expectWithin(sampleValue(metrics, "mcp_instructions_tokens", labels), tokens(instructions), 0.2, "instructions");
      const result = { ...labels, tool_name: "get-tiny-image" };
      expect(sampleValue(metrics, "mcp_tool_result_tokens_count", result)).toBe(1);
      expectWithin(sampleValue(metrics, "mcp_tool_result_tokens_sum", result), tokens(image), 0.2, "image result");
    } finally {
      await sidecar.close();
    }
  });
});
