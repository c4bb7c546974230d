// Entry point: the late-progress server (late-progress-server.ts) over stdio, for command mode.
import { StdioServerTransport } from "@modelcontextprotocol/sdk/server/stdio.js";
import { lateProgressServer } from "./late-progress-server.js";

await lateProgressServer().connect(new StdioServerTransport());
