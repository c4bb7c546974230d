import { describe, expect, it } from "vitest";
import { runContainer, survivingGroups } from "./pod-runner.js";

describe("runContainer", () => {
  it("stops the container's whole process group, children included, even when the main process ignores SIGTERM", async () => {
    // The main process ignores SIGTERM and leaves a child behind, as an npx wrapper might.
    const container = runContainer(
      { containerName: "stubborn", command: ["sh", "-c", "trap '' TERM; sleep 300 & wait"], env: {} },
      { cwd: process.cwd(), hostname: "pod-1", graceMs: 300 },
    );
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(survivingGroups([container])).toEqual([`stubborn (pgid ${container.child.pid})`]);
    await container.stop();
    expect(survivingGroups([container])).toEqual([]);
  });

  it("gives the process only the pod's env (plus PATH, HOME and HOSTNAME), as a kubelet does", async () => {
    const container = runContainer(
      { containerName: "env", command: ["sh", "-c", "env | sort"], env: { MCP_UPSTREAM_NAME: "weather" } },
      { cwd: process.cwd(), hostname: "weather-abc" },
    );
    await new Promise((resolve) => container.child.once("exit", resolve));
    const names = container
      .log()
      .trim()
      .split("\n")
      .map((line) => line.slice(0, line.indexOf("=")));
    expect(names).toEqual(expect.arrayContaining(["HOME", "HOSTNAME", "MCP_UPSTREAM_NAME", "PATH"]));
    expect(container.log()).toContain("HOSTNAME=weather-abc");
    expect(
      names.filter((n) => !["HOME", "HOSTNAME", "MCP_UPSTREAM_NAME", "PATH", "PWD", "SHLVL", "_"].includes(n)),
    ).toEqual([]);
    await container.stop();
  });
});
