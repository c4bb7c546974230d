import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import type { JSONRPCMessage } from "@modelcontextprotocol/sdk/types.js";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { RunningSidecar } from "../sidecar.js";
import {
  lateProgressStdioCommand,
  type RunningLateProgressServer,
  startLateProgressHttpServer,
} from "../testing/late-progress-server.js";
import { startTestSidecar } from "../testing/sidecar-harness.js";

interface Observed {
  result: unknown;
  /** Every progress notification that reached the client, on any stream, in order. */
  progressReceived: number[];
  progressReported: number[];
}

const isMethod = (message: JSONRPCMessage, method: string) => "method" in message && message.method === method;

/** Calls `late-progress` and returns once the log message the server sends after the late progress has arrived. */
async function lateProgressOver(url: string): Promise<Observed> {
  const client = new Client({ name: "mcpscope-test", version: "1.0.0" });
  const transport = new StreamableHTTPClientTransport(new URL(`${url}/mcp`));
  await client.connect(transport);
  const received: JSONRPCMessage[] = [];
  const handle = transport.onmessage;
  transport.onmessage = (message: JSONRPCMessage) => {
    received.push(message);
    handle?.(message);
  };
  const logged = (data: string) =>
    received.some(
      (m) => isMethod(m, "notifications/message") && (m as { params?: { data?: unknown } }).params?.data === data,
    );
  // The standalone stream is open once a log message comes through it (the client opens it after initialize).
  await expect
    .poll(
      async () => {
        await client.callTool({ name: "announce", arguments: {} });
        return logged("announced");
      },
      { timeout: 10_000 },
    )
    .toBe(true);
  const progressReported: number[] = [];
  const result = await client.callTool({ name: "late-progress", arguments: {} }, undefined, {
    onprogress: (p) => progressReported.push(p.progress),
  });
  // The standalone stream is ordered: a late progress re-routed to it would arrive before this.
  await expect.poll(() => logged("late progress sent"), { timeout: 10_000 }).toBe(true);
  await transport.terminateSession();
  await client.close();
  const progressReceived = received.flatMap((m) =>
    "method" in m && m.method === "notifications/progress" ? [m.params?.progress as number] : [],
  );
  return { result, progressReceived, progressReported };
}

describe("a progress notification a stdio server sends after answering its request", () => {
  let direct: RunningLateProgressServer;
  let sidecar: RunningSidecar;

  beforeAll(async () => {
    direct = await startLateProgressHttpServer();
    sidecar = await startTestSidecar({
      MCP_UPSTREAM_COMMAND: lateProgressStdioCommand(),
      MCP_UPSTREAM_NAME: "late-progress",
    });
  });

  afterAll(async () => {
    await sidecar?.close();
    await direct?.close();
  });

  it("is not delivered, as the SDK's transport does not deliver it from the same server speaking HTTP", async () => {
    const expected = await lateProgressOver(direct.url);
    expect(expected).toEqual({
      result: { content: [{ type: "text", text: "done" }] },
      progressReceived: [1, 2],
      progressReported: [1, 2],
    });
    expect(await lateProgressOver(sidecar.proxyUrl)).toEqual(expected);
  });
});
