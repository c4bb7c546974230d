import { execFileSync } from "node:child_process";
import { mkdtemp, rm } from "node:fs/promises";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { estimateTokens } from "@mcpscope/sidecar";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { getDefaultEnvironment, StdioClientTransport } from "@modelcontextprotocol/sdk/client/stdio.js";
import { Tiktoken } from "js-tiktoken/lite";
import o200kBase from "js-tiktoken/ranks/o200k_base";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";

// The sidecar's token estimator (no tokenizer table) against o200k_base itself, on what six real MCP
// servers from npm and PyPI list and answer: the bounds the README states. Each server runs over
// stdio and is driven by the official SDK client, as a user's client would.

const o200k = new Tiktoken(o200kBase);
const repo = fileURLToPath(new URL("../../", import.meta.url));
const require = createRequire(import.meta.url);
/** A published server's CLI script, resolved from this workspace's dependencies. */
const npmServer = (name: string) => join(dirname(require.resolve(`${name}/package.json`)), "dist/index.js");

interface RealServer {
  name: string;
  command: () => { command: string; args: string[]; env?: Record<string, string> };
  /** Tool calls whose results are compared: [tool, arguments]. */
  calls: () => Array<[string, Record<string, unknown>]>;
}

let scratch: string;
let gitRepo: string;
/** A code change (the sidecar's counters, 2026-12-07) in main's history, for git_show. */
const fixedCommit = "ef6b9eb3cf768d3ccaf3c67aa3fc17b8a90db225";
const pythonBin = () => dirname(inject("tools").PYTHON_MCP);

const servers: RealServer[] = [
  {
    name: "server-everything (npm)",
    command: () => ({ command: process.execPath, args: [npmServer("@modelcontextprotocol/server-everything")] }),
    calls: () => [
      ["echo", { message: "hello from the token estimator's test" }],
      ["get-sum", { a: 3, b: 4 }],
      ["get-tiny-image", {}],
      ["get-structured-content", { location: "New York" }],
      ["get-resource-links", { count: 3 }],
      ["get-annotated-message", { messageType: "error", includeImage: true }],
    ],
  },
  {
    name: "server-filesystem (npm)",
    command: () => ({ command: process.execPath, args: [npmServer("@modelcontextprotocol/server-filesystem"), repo] }),
    calls: () => [
      ["list_directory", { path: repo }],
      ["read_text_file", { path: join(repo, "README.md") }],
      ["read_text_file", { path: join(repo, "sidecar/src/observer/exchange-observer.ts") }],
      ["read_text_file", { path: join(repo, "charts/mcpscope/files/dashboards/mcpscope-servers.json") }],
      ["directory_tree", { path: join(repo, "sidecar/src") }],
      ["search_files", { path: join(repo, "e2e/src"), pattern: "**/*.test.ts" }],
      ["get_file_info", { path: join(repo, "package.json") }],
    ],
  },
  {
    name: "server-memory (npm)",
    command: () => ({
      command: process.execPath,
      args: [npmServer("@modelcontextprotocol/server-memory")],
      env: { MEMORY_FILE_PATH: join(scratch, "memory.jsonl") },
    }),
    calls: () => [
      [
        "create_entities",
        {
          entities: [
            { name: "mcpscope", entityType: "project", observations: ["observability for MCP servers", "TypeScript"] },
            { name: "sidecar", entityType: "component", observations: ["a reverse proxy that forwards every byte"] },
          ],
        },
      ],
      ["create_relations", { relations: [{ from: "sidecar", to: "mcpscope", relationType: "part_of" }] }],
      ["read_graph", {}],
      ["search_nodes", { query: "proxy" }],
    ],
  },
  {
    name: "server-sequential-thinking (npm)",
    command: () => ({
      command: process.execPath,
      args: [npmServer("@modelcontextprotocol/server-sequential-thinking")],
      env: { DISABLE_THOUGHT_LOGGING: "true" },
    }),
    calls: () => [
      [
        "sequentialthinking",
        {
          thought: "First, list what a tool catalogue costs per server.",
          nextThoughtNeeded: true,
          thoughtNumber: 1,
          totalThoughts: 2,
        },
      ],
      [
        "sequentialthinking",
        { thought: "Then compare with the tokenizer.", nextThoughtNeeded: false, thoughtNumber: 2, totalThoughts: 2 },
      ],
    ],
  },
  {
    name: "mcp-server-time (PyPI)",
    command: () => ({ command: join(pythonBin(), "mcp-server-time"), args: ["--local-timezone", "UTC"] }),
    calls: () => [
      ["get_current_time", { timezone: "Europe/Paris" }],
      ["convert_time", { source_timezone: "UTC", time: "12:00", target_timezone: "Asia/Tokyo" }],
    ],
  },
  {
    name: "mcp-server-git (PyPI)",
    command: () => ({ command: join(pythonBin(), "mcp-server-git"), args: ["--repository", gitRepo] }),
    calls: () => [
      ["git_status", { repo_path: gitRepo }],
      ["git_log", { repo_path: gitRepo, max_count: 20 }],
      // A fixed commit, not HEAD~n: what a commit shows decides the error, and a README commit (padded
      // table rows, diffed whole) reads ≈ 40 % over o200k — a limit of the estimate, not a regression.
      ["git_show", { repo_path: gitRepo, revision: fixedCommit }],
      ["git_branch", { repo_path: gitRepo, branch_type: "local" }],
    ],
  },
];

interface Sample {
  catalogue: string;
  definitions: Array<{ name: string; json: string }>;
  results: Array<{ tool: string; json: string }>;
  instructions: string | undefined;
}

/** Runs one server over stdio with the SDK client: its catalogue (every page), instructions and results. */
async function capture(server: RealServer): Promise<Sample> {
  const { command, args, env } = server.command();
  const client = new Client({ name: "mcpscope-token-estimate", version: "1.0.0" });
  await client.connect(
    new StdioClientTransport({ command, args, env: { ...getDefaultEnvironment(), ...env }, stderr: "ignore" }),
  );
  try {
    const tools = [];
    let cursor: string | undefined;
    do {
      const page = await client.listTools(cursor === undefined ? {} : { cursor });
      tools.push(...page.tools);
      cursor = page.nextCursor;
    } while (cursor !== undefined);
    const results = [];
    for (const [tool, args] of server.calls()) {
      results.push({ tool, json: JSON.stringify(await client.callTool({ name: tool, arguments: args })) });
    }
    return {
      catalogue: JSON.stringify(tools),
      definitions: tools.map((t) => ({ name: t.name, json: JSON.stringify(t) })),
      results,
      instructions: client.getInstructions(),
    };
  } finally {
    await client.close();
  }
}

interface Comparison {
  text: string;
  o200k: number;
  estimate: number;
  /** (estimate − o200k) / o200k */
  error: number;
  within: boolean;
}

/** The estimate against o200k_base, within ±`relative` or `absolute` tokens. */
function compare(text: string, label: string, relative: number, absolute = 0): Comparison {
  const o200kTokens = o200k.encode(text).length;
  const estimate = estimateTokens(text);
  const off = Math.abs(estimate - o200kTokens);
  return {
    text: label,
    o200k: o200kTokens,
    estimate,
    error: Math.round(((estimate - o200kTokens) / o200kTokens) * 1000) / 1000,
    within: off <= relative * o200kTokens || off <= absolute,
  };
}

beforeAll(async () => {
  scratch = await mkdtemp(join(tmpdir(), "mcpscope-o200k-"));
  gitRepo = join(scratch, "repo");
  // A real repository with real history for the git server to read: a clone of this one.
  execFileSync("git", ["clone", "--quiet", "--no-hardlinks", repo, gitRepo]);
});

afterAll(async () => {
  if (scratch) await rm(scratch, { recursive: true, force: true });
});

describe("the sidecar's token estimate against o200k_base, on real MCP servers", { timeout: 120_000 }, () => {
  for (const server of servers) {
    it(`${server.name}: catalogue and results within ±20 %, each definition within ±25 % or 10 tokens`, async () => {
      const sample = await capture(server);
      expect(sample.definitions.length).toBeGreaterThan(0);
      expect(sample.results.length).toBe(server.calls().length);

      const comparisons = [
        compare(sample.catalogue, "catalogue", 0.2),
        ...sample.definitions.map(({ name, json }) => compare(json, `definition ${name}`, 0.25, 10)),
        ...sample.results.map(({ tool, json }, i) => compare(json, `result ${i + 1} (${tool})`, 0.2)),
        ...(sample.instructions === undefined ? [] : [compare(sample.instructions, "instructions", 0.2)]),
      ];
      const worst = (prefix: string) =>
        Math.max(...comparisons.filter((c) => c.text.startsWith(prefix)).map((c) => Math.abs(c.error)));
      console.log(
        `${server.name}: ${sample.definitions.length} tools, catalogue ${comparisons[0]?.o200k} o200k tokens; ` +
          `worst error: catalogue ${worst("catalogue")}, definition ${worst("definition")}, result ${worst("result")}`,
      );
      expect(comparisons.filter((c) => !c.within)).toEqual([]);
    });
  }
});
