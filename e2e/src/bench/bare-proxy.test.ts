import { type ChildProcess, spawn } from "node:child_process";
import { once } from "node:events";
import { fileURLToPath } from "node:url";
import { freePort, stopProcess, waitForOutput } from "@mcpscope/sidecar/testing";
import { request } from "undici";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { echoCallBody, mcpHeaders } from "./clients.js";

// The bench's baselines run as their own processes, from the build, as `npm run bench` starts them.
const built = (name: string) => fileURLToPath(new URL(`../../dist/bench/${name}`, import.meta.url));
const started: ChildProcess[] = [];

async function startScript(name: string, args: string[]): Promise<ChildProcess> {
  const child = spawn(process.execPath, [built(name), ...args], { stdio: ["ignore", "pipe", "pipe"] });
  started.push(child);
  await waitForOutput(child, /listening/, 15_000, name);
  return child;
}

describe("bare-proxy.js, the bench's baseline", () => {
  let upstreamUrl: string;

  beforeAll(async () => {
    const port = await freePort();
    await startScript("bench-upstream.js", [String(port)]);
    upstreamUrl = `http://127.0.0.1:${port}`;
  });
  afterAll(async () => {
    await Promise.all(started.map((child) => stopProcess(child)));
  });

  for (const mode of [[], ["buffered"]]) {
    it(`forwards a tools/call and its answer unchanged (${mode[0] ?? "streamed, the default"})`, async () => {
      const port = await freePort();
      await startScript("bare-proxy.js", [upstreamUrl, String(port), ...mode]);
      const body = echoCallBody(41, "héllo, bare");
      const viaProxy = await request(`http://127.0.0.1:${port}/json`, { method: "POST", headers: mcpHeaders, body });
      const direct = await request(`${upstreamUrl}/json`, { method: "POST", headers: mcpHeaders, body });
      const answer = await viaProxy.body.text();
      expect(viaProxy.statusCode).toBe(200);
      expect(answer).toBe(await direct.body.text());
      expect(JSON.parse(answer)).toMatchObject({ id: 41, result: { content: [{ text: "héllo, bare" }] } });
    });
  }

  it("refuses a mode it does not know", async () => {
    const child = spawn(process.execPath, [built("bare-proxy.js"), upstreamUrl, "1", "streamed"], {
      stdio: ["ignore", "ignore", "pipe"],
    });
    let stderr = "";
    child.stderr?.on("data", (chunk: Buffer) => {
      stderr += chunk.toString();
    });
    const [code] = await once(child, "exit");
    expect(code).not.toBe(0);
    expect(stderr).toContain("usage: bare-proxy.js UPSTREAM_URL PORT [buffered]");
  });
});
