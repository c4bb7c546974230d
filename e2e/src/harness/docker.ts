import { execFileSync } from "node:child_process";
import { fileURLToPath } from "node:url";
import { type CommandResult, runProgram, stdoutOf } from "./programs.js";

const root = fileURLToPath(new URL("../../../", import.meta.url));

/** `docker ARGS…` from the repository root, never throwing (tests assert on the result). */
export function docker(args: string[], input?: string): Promise<CommandResult> {
  return runProgram("docker", args, { cwd: root, input });
}

/** `docker ARGS…`'s stdout, trimmed; throws with its stderr when it fails. */
export async function dockerOut(args: string[]): Promise<string> {
  return stdoutOf(await docker(args), `docker ${args.join(" ")}`).trim();
}

/** `docker build` of a repository Dockerfile, unchanged, from the repository root. */
export async function dockerBuild(dockerfile: string, tag: string, buildArgs: Record<string, string> = {}) {
  const args = ["build", "-q", "-f", dockerfile, "-t", tag];
  for (const [key, value] of Object.entries(buildArgs)) args.push("--build-arg", `${key}=${value}`);
  return dockerOut([...args, "."]);
}

/** The image's size in bytes, as `docker image inspect` reports it. */
export async function imageSize(image: string): Promise<number> {
  return Number(await dockerOut(["image", "inspect", "--format", "{{.Size}}", image]));
}

/** One field of `docker inspect` (a Go template), e.g. "{{.State.Health.Status}}". */
export function inspect(container: string, template: string): Promise<string> {
  return dockerOut(["inspect", "--format", template, container]);
}

/** The host port a container's port is published on (docker run -p 127.0.0.1::PORT). */
export async function publishedPort(container: string, port: number): Promise<number> {
  const mapping = await dockerOut(["port", container, `${port}/tcp`]);
  return Number(mapping.split("\n")[0]?.split(":").at(-1));
}

/**
 * Starts the Docker engine unless one answers (e2e/tools/docker-engine.sh); returns a function that
 * stops what this call started, and nothing else. Synchronous: vitest's global setup uses it.
 */
export function ensureDockerEngine(): () => void {
  const script = `${root}e2e/tools/docker-engine.sh`;
  const output = execFileSync("bash", [script, "start"], { stdio: ["ignore", "pipe", "inherit"] }).toString();
  const pid = /^STARTED=(\d*)$/m.exec(output)?.[1] ?? "";
  return () => {
    if (pid) execFileSync("bash", [script, "stop", pid], { stdio: "inherit" });
  };
}

/**
 * The Docker engine with the local stand-in base images built, as the test run and the container bench
 * need them; returns ensureDockerEngine's stop function (called here if the build fails).
 */
export function dockerWithBaseImages(tools: { OTELCOL: string; JAEGER: string; COREDNS: string }): () => void {
  const stopEngine = ensureDockerEngine();
  try {
    buildBaseImages(tools);
  } catch (error) {
    stopEngine();
    throw error;
  }
  return stopEngine;
}

/** Builds the local stand-in base images (e2e/tools/base-images.sh), once per machine. */
export function buildBaseImages(tools: { OTELCOL: string; JAEGER: string; COREDNS: string }): void {
  execFileSync("bash", [`${root}e2e/tools/base-images.sh`], {
    stdio: ["ignore", "inherit", "inherit"],
    env: { ...process.env, OTELCOL: tools.OTELCOL, JAEGER: tools.JAEGER, COREDNS: tools.COREDNS },
  });
}
