import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { docker, dockerOut } from "./harness/docker.js";
import { runProgram } from "./harness/programs.js";

// e2e/tools/base-images.sh on throwaway names (MCPSCOPE_BASE_IMAGE_PREFIX), with a user's own image
// (no stand-in label) already under two of them, as a developer's real node:24-slim and
// prom/prometheus would be. Nothing can be pulled here, and nothing exists under the prefix upstream.

const script = fileURLToPath(new URL("../tools/base-images.sh", import.meta.url));
const prefix = `mcpscope-base-images-test-${process.pid}/`;
const userImage = `${prefix}users-own:1`;
const usersTags = [`${prefix}node:24-slim`, `${prefix}prom/prometheus:v2.55.1`];
const standIns = [
  `${prefix}otel/opentelemetry-collector-contrib:0.136.0`,
  `${prefix}jaegertracing/jaeger:2.13.0`,
  `${prefix}postgres:15-bookworm`,
  `${prefix}registry.k8s.io/pause:3.10`,
  `${prefix}registry.k8s.io/coredns/coredns:v1.14.7`,
];
const label = "dev.mcpscope.stand-in-key";

const imageId = (tag: string) => dockerOut(["image", "inspect", "--format", "{{.Id}}", tag]);
const standInKey = (tag: string) =>
  dockerOut(["image", "inspect", "--format", `{{index .Config.Labels "${label}"}}`, tag]);

function baseImages() {
  const { OTELCOL, JAEGER, COREDNS } = inject("tools");
  return runProgram("bash", [script], { env: { OTELCOL, JAEGER, COREDNS, MCPSCOPE_BASE_IMAGE_PREFIX: prefix } });
}

let before: Record<string, string> = {};

beforeAll(async () => {
  // A user's image: one file, imported, so it carries no label of ours.
  const dir = await mkdtemp(join(tmpdir(), "mcpscope-users-image-"));
  try {
    await writeFile(join(dir, "mine"), "a user's own image\n");
    expect((await runProgram("tar", ["-C", dir, "-cf", join(dir, "image.tar"), "mine"])).code).toBe(0);
    await dockerOut(["import", join(dir, "image.tar"), userImage]);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
  for (const tag of usersTags) await dockerOut(["tag", userImage, tag]);
  before = Object.fromEntries(await Promise.all(usersTags.map(async (t) => [t, await imageId(t)])));
}, 60_000);

afterAll(async () => {
  await docker(["rmi", ...usersTags, ...standIns, `${prefix}grafana/grafana:11.3.0`, userImage]);
});

describe("base-images.sh", { timeout: 600_000 }, () => {
  it("leaves a user's images under the names exactly as they were, and builds stand-ins only for the missing ones", async () => {
    const run = await baseImages();
    expect(run.code, run.stderr).toBe(0);
    for (const tag of usersTags) {
      expect(await imageId(tag)).toBe(before[tag]);
      expect(run.stderr).toContain(`${tag}: using the image already present (not a stand-in; left as it is)`);
    }
    for (const tag of standIns) {
      expect(run.stderr).toContain(`${tag}: not present and cannot be pulled: a local stand-in`);
      expect(await standInKey(tag)).toMatch(/^[0-9a-f]{16}$/);
    }
    expect(run.stderr).toContain(
      `${prefix}grafana/grafana:11.3.0: not present and cannot be pulled: the compose test runs without Grafana`,
    );
  });

  it("changes nothing on a second run", async () => {
    const all = [...usersTags, ...standIns];
    const ids = await Promise.all(all.map(imageId));
    const run = await baseImages();
    expect(run.code, run.stderr).toBe(0);
    expect(run.stderr).not.toContain("building");
    expect(await Promise.all(all.map(imageId))).toEqual(ids);
  });
});
