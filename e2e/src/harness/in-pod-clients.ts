#!/usr/bin/env node
// Run inside a client pod on the node (the repository mounted at its own path): MCP sessions from
// this pod's IP through the Services, as in-cluster clients open them. Prints one JSON line.
//   node e2e/dist/harness/in-pod-clients.js <streamable-http url> <sse url> <sessions per kind> <echoes>
import { networkInterfaces } from "node:os";
import { type SessionOutcome, sdk1Session, sdk2Session, sseSession } from "./mcp-sessions.js";

const [httpUrl = "", sseUrl = "", perKind = "5", echoes = "5"] = process.argv.slice(2);
const count = Number(perKind);
const each = Number(echoes);
const sessions = (open: () => Promise<SessionOutcome>) => Promise.all(Array.from({ length: count }, open));

const [sdk1, sdk2, sse] = await Promise.all([
  sessions(() => sdk1Session(httpUrl, each)),
  sessions(() => sdk2Session(httpUrl, each)),
  sessions(async () => {
    const { client, ...outcome } = await sseSession(sseUrl, each);
    await client.close();
    return outcome;
  }),
]);
const addresses = Object.values(networkInterfaces())
  .flat()
  .filter((a) => a && !a.internal)
  .map((a) => a?.address);
console.log(JSON.stringify({ addresses, sdk1, sdk2, sse }));
// The SDK clients' keep-alive agents would hold the process open.
process.exit(0);
