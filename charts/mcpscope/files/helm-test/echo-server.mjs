// `helm test`: the MCP server behind the test pod's sidecar — one echo tool over stdio. Written
// against the protocol itself (newline-delimited JSON-RPC), since the sidecar image holds a bundle and
// no node_modules: nothing to import.
import { createInterface } from "node:readline";

const echoTool = {
  name: "echo",
  description: "Returns its message",
  inputSchema: { type: "object", properties: { message: { type: "string" } }, required: ["message"] },
};

function answer(message) {
  switch (message.method) {
    case "initialize":
      return {
        protocolVersion: message.params?.protocolVersion ?? "2025-06-18",
        capabilities: { tools: {} },
        serverInfo: { name: "mcpscope-helm-test", version: "1.0.0" },
      };
    case "ping":
      return {};
    case "tools/list":
      return { tools: [echoTool] };
    case "tools/call":
      if (message.params?.name !== "echo") return { content: [{ type: "text", text: "no such tool" }], isError: true };
      return { content: [{ type: "text", text: String(message.params?.arguments?.message ?? "") }] };
    default:
      return undefined;
  }
}

for await (const line of createInterface({ input: process.stdin })) {
  if (line.trim() === "") continue;
  let message;
  try {
    message = JSON.parse(line);
  } catch {
    continue;
  }
  if (message.id === undefined || message.method === undefined) continue; // notifications, responses
  const result = answer(message);
  const reply =
    result === undefined
      ? { jsonrpc: "2.0", id: message.id, error: { code: -32601, message: `Method not found: ${message.method}` } }
      : { jsonrpc: "2.0", id: message.id, result };
  process.stdout.write(`${JSON.stringify(reply)}\n`);
}
