import { unwrapSessionId } from "@mcpscope/sidecar";
import { Client as Client2, StreamableHTTPClientTransport as Transport2 } from "@modelcontextprotocol/client";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { SSEClientTransport } from "@modelcontextprotocol/sdk/client/sse.js";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import { Agent, fetch as undiciFetch } from "undici";

/**
 * MCP sessions as the official TypeScript SDKs open them, each `initialize` → `tools/list` →
 * `echoes` × `tools/call echo`, for the replica tests (run by the test process and by client pods).
 */

/** Every request on its own connection: a gateway balancing per request, the hardest case. */
const perRequest = new Agent({ pipelining: 0 });
export const fetchPerRequest = ((url: string | URL, init?: RequestInit) =>
  undiciFetch(url, { ...(init as object), dispatcher: perRequest })) as unknown as typeof fetch;

export const expectedEchoes = (count: number) =>
  Array.from({ length: count }, (_, i) => ({ content: [{ type: "text", text: `Echo: m${i}` }] }));

export interface SessionOutcome {
  /** The replica (pod IP) that held the session, read from the id the sidecar handed out. */
  pod: string | undefined;
  tools: number;
  replies: unknown[];
}

async function echoes(
  client: { callTool(p: { name: string; arguments: Record<string, unknown> }): Promise<unknown> },
  count: number,
) {
  const replies: unknown[] = [];
  for (let i = 0; i < count; i++)
    replies.push(await client.callTool({ name: "echo", arguments: { message: `m${i}` } }));
  return replies;
}

/** The part of both SDKs' Client and Streamable HTTP transport a session uses. */
interface SdkClient {
  connect(transport: never): Promise<void>;
  listTools(): Promise<{ tools: unknown[] }>;
  callTool(p: { name: string; arguments: Record<string, unknown> }): Promise<unknown>;
  close(): Promise<void>;
}

async function sdkSession(client: SdkClient, transport: { sessionId?: string | undefined }, count: number) {
  await client.connect(transport as never);
  const tools = (await client.listTools()).tools.length;
  const replies = await echoes(client, count);
  const pod = unwrapSessionId(transport.sessionId ?? "")?.replicaIp;
  await client.close();
  return { pod, tools, replies };
}

export function sdk1Session(url: string, count: number): Promise<SessionOutcome> {
  return sdkSession(
    new Client({ name: "mcpscope-replicas", version: "1.0.0" }),
    new StreamableHTTPClientTransport(new URL(url), { fetch: fetchPerRequest }),
    count,
  );
}

export function sdk2Session(url: string, count: number): Promise<SessionOutcome> {
  return sdkSession(
    new Client2({ name: "mcpscope-replicas", version: "2.0.0" }),
    new Transport2(new URL(url), { fetch: fetchPerRequest }),
    count,
  );
}

/** A legacy HTTP+SSE session, left open (its /sse stream held) for the caller to close. */
export async function sseSession(url: string, count: number) {
  const client = new Client({ name: "mcpscope-replicas-sse", version: "1.0.0" });
  const transport = new SSEClientTransport(new URL(url), { fetch: fetchPerRequest });
  await client.connect(transport);
  const tools = (await client.listTools()).tools.length;
  const replies = await echoes(client, count);
  // The endpoint the stream announced carries the session id the sidecar handed out.
  const endpoint = (transport as unknown as { _endpoint?: URL })._endpoint;
  const pod = unwrapSessionId(endpoint?.searchParams.get("sessionId") ?? "")?.replicaIp;
  return { client, pod, tools, replies };
}
