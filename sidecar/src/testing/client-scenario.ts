import type { Client } from "@modelcontextprotocol/sdk/client/index.js";

export interface ScenarioResults {
  tools: string[];
  echo: unknown;
  failingCall: unknown;
  longRunning: unknown;
  progress: number[];
  /** Timing-dependent, so not part of a direct-vs-proxied comparison. */
  progressBeforeResult: number[];
  resources: unknown;
  resource: unknown;
  prompts: unknown;
  prompt: unknown;
  ping: unknown;
}

/**
 * One fixed conversation with server-everything, used to compare a direct connection with one
 * through the sidecar: tools (plain, erroring, streaming progress), resources, prompts and ping.
 */
export async function runClientScenario(client: Client): Promise<ScenarioResults> {
  const tools = (await client.listTools()).tools.map((t) => t.name).sort();
  const echo = await client.callTool({
    name: "echo",
    arguments: { message: "hello through mcpscope" },
  });
  const failingCall = await client.callTool({
    name: "get-sum",
    arguments: { a: "not a number", b: 2 },
  });
  const progress: number[] = [];
  let resultSeen = false;
  const progressBeforeResult: number[] = [];
  const longRunning = await client
    .callTool(
      {
        name: "trigger-long-running-operation",
        arguments: { duration: 0.3, steps: 3 },
      },
      undefined,
      {
        onprogress: (p) => {
          progress.push(p.progress);
          if (!resultSeen) progressBeforeResult.push(p.progress);
        },
      },
    )
    .finally(() => {
      resultSeen = true;
    });
  const resources = await client.listResources();
  const first = resources.resources[0];
  const resource = first ? await client.readResource({ uri: first.uri }) : undefined;
  const prompts = await client.listPrompts();
  const prompt = await client.getPrompt({ name: "simple-prompt" });
  const ping = await client.ping();
  return {
    tools,
    echo,
    failingCall,
    longRunning,
    progress,
    progressBeforeResult,
    resources,
    resource,
    prompts,
    prompt,
    ping,
  };
}
