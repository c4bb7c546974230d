import { describe, expect, it } from "vitest";
import {
  buildSidecarContainer,
  defaultCommandModeSidecarResources,
  defaultSidecarResources,
  type SidecarParams,
} from "./sidecar-container.js";

const params: SidecarParams = {
  image: "ghcr.io/mcpscope/sidecar:0.1.0",
  serverName: "weather",
  upstreamUrl: "http://127.0.0.1:3001",
  transport: "streamable-http",
  mcpPath: "/mcp",
  port: 4000,
  metricsPort: 9464,
};
const nodeOptions = (p: SidecarParams) => buildSidecarContainer(p).env?.find((e) => e.name === "NODE_OPTIONS")?.value;

describe("buildSidecarContainer's memory", () => {
  it("gives the sidecar a memory request and limit by default, and sizes its heap to that limit", () => {
    const container = buildSidecarContainer(params);
    expect(container.resources).toEqual(defaultSidecarResources);
    expect(defaultSidecarResources.requests?.memory).toBe("64Mi");
    expect(defaultSidecarResources.limits?.memory).toBe("256Mi");
    expect(nodeOptions(params)).toBe("--max-semi-space-size=4 --max-old-space-size=128");
  });

  it("follows a limit given instead (an McpServer's or a pod annotation's, after namespace fitting)", () => {
    expect(nodeOptions({ ...params, resources: { requests: { memory: "64Mi" }, limits: { memory: "1Gi" } } })).toBe(
      "--max-semi-space-size=4 --max-old-space-size=512",
    );
  });

  it("leaves the heap to Node when there is no memory limit", () => {
    expect(nodeOptions({ ...params, resources: { requests: { memory: "96Mi" } } })).toBe("--max-semi-space-size=4");
  });

  it("lets a user's own NODE_OPTIONS win", () => {
    const own = { name: "NODE_OPTIONS", value: "--max-old-space-size=300" };
    expect(nodeOptions({ ...params, extraEnv: [own] })).toBe("--max-old-space-size=300");
  });
});

describe("buildSidecarContainer in command mode", () => {
  const { upstreamUrl: _url, ...http } = params;
  const command: SidecarParams = { ...http, upstreamCommand: "mcp-notes" };
  const maxSessions = (p: SidecarParams) =>
    buildSidecarContainer(p).env?.find((e) => e.name === "MCP_STDIO_MAX_SESSIONS")?.value;

  it("requests room for the sidecar, its health session and a client session, under the default limit", () => {
    expect(buildSidecarContainer(command).resources).toEqual(defaultCommandModeSidecarResources);
    expect(defaultCommandModeSidecarResources.requests?.memory).toBe("128Mi");
    expect(defaultCommandModeSidecarResources.limits).toEqual(defaultSidecarResources.limits);
  });

  it("holds only as many stdio sessions as the container's memory limit fits", () => {
    expect(maxSessions(command)).toBe("4");
    expect(maxSessions({ ...command, resources: { limits: { memory: "1Gi" } } })).toBe("28");
  });

  it("leaves the sidecar's default without a limit, and a user's own value wins", () => {
    expect(maxSessions({ ...command, resources: { requests: { memory: "96Mi" } } })).toBeUndefined();
    expect(maxSessions({ ...command, extraEnv: [{ name: "MCP_STDIO_MAX_SESSIONS", value: "10" }] })).toBe("10");
  });

  it("sets nothing for an HTTP upstream, whose server has its own container", () => {
    expect(maxSessions(params)).toBeUndefined();
  });
});
