import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";

/**
 * A FAKE upstream that writes exactly scripted bytes — odd whitespace, split UTF-8 characters, SSE
 * events held back until the test releases them, a socket cut mid-body. Real MCP servers cannot be
 * made to produce these on demand; everything else in the tests talks to server-everything.
 */
export interface FakeScriptedUpstream {
  url: string;
  /** Resolves the hold in /sse-held so the second event is written. */
  release(): void;
  /** Bodies of requests received, in order, as raw bytes. */
  received: Buffer[];
  /** Their Mcp-Session-Id headers, in the same order. */
  receivedSessionIds: (string | undefined)[];
  /** Their Last-Event-ID headers (stream resumption), in the same order. */
  receivedLastEventIds: (string | undefined)[];
  close(): Promise<void>;
}

export const scriptedJson = Buffer.from(
  '{ "jsonrpc" : "2.0",\n  "id":1, "result":{"text":"h\\u00e9llo ☃ \\ud83d\\ude00", "n": 1.50e3 } }\n',
  "utf8",
);
export const scriptedSseEvents = [
  'event: message\nid: e1\ndata: {"jsonrpc":"2.0","method":"notifications/progress","params":{"progressToken":1,"progress":1}}\n\n',
  ': a comment line\n\nevent: message\nid: e2\r\ndata: {"jsonrpc":"2.0","id":1,\ndata: "result":{"x":"ü"}}\r\n\r\n',
];

function collect(req: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => resolve(Buffer.concat(chunks)));
    req.on("error", reject);
  });
}

export async function startFakeScriptedUpstream(): Promise<FakeScriptedUpstream> {
  const received: Buffer[] = [];
  const receivedSessionIds: (string | undefined)[] = [];
  const receivedLastEventIds: (string | undefined)[] = [];
  let release: () => void = () => {};
  let held = new Promise<void>((resolve) => {
    release = resolve;
  });

  const handle = async (req: IncomingMessage, res: ServerResponse) => {
    receivedSessionIds.push(req.headers["mcp-session-id"] as string | undefined);
    receivedLastEventIds.push(req.headers["last-event-id"] as string | undefined);
    received.push(await collect(req));
    const path = new URL(req.url ?? "/", "http://x").pathname;
    if (path === "/json") {
      res.writeHead(200, {
        "content-type": "application/json; charset=utf-8",
        "x-scripted": "yes",
        "mcp-session-id": "s-1",
      });
      res.end(scriptedJson);
    } else if (path === "/big") {
      const body = Buffer.alloc(1024 * 1024 + 7, "a");
      res.writeHead(200, { "content-type": "application/octet-stream" });
      res.end(body);
    } else if (path === "/sse-held") {
      res.writeHead(200, { "content-type": "text/event-stream", "cache-control": "no-cache" });
      const first = Buffer.from(scriptedSseEvents[0] ?? "", "utf8");
      res.write(first);
      await held;
      held = new Promise<void>((resolve) => {
        release = resolve;
      });
      // Write the second event in three pieces, cutting "ü" (2 bytes) in half.
      const second = Buffer.from(scriptedSseEvents[1] ?? "", "utf8");
      const cut = second.indexOf(0xc3) + 1;
      res.write(second.subarray(0, 10));
      res.write(second.subarray(10, cut));
      res.end(second.subarray(cut));
    } else if (path === "/sse-quiet") {
      res.writeHead(200, { "content-type": "text/event-stream" });
      res.flushHeaders();
      await held;
      held = new Promise<void>((resolve) => {
        release = resolve;
      });
      res.end("event: message\ndata: {}\n\n");
    } else if (path === "/cut") {
      res.writeHead(200, { "content-type": "text/event-stream" });
      res.write("event: message\ndata: {}\n\n");
      setTimeout(() => res.socket?.destroy(), 20);
    } else if (path === "/status") {
      res.writeHead(418, { "content-type": "text/plain" });
      res.end("short and stout");
    } else {
      res.writeHead(404).end();
    }
  };

  const server: Server = createServer((req, res) => {
    handle(req, res).catch(() => res.destroy());
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", () => resolve()));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    release: () => release(),
    received,
    receivedSessionIds,
    receivedLastEventIds,
    async close() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
