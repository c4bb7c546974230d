import { realpath } from "node:fs/promises";
import { basename, dirname } from "node:path";
import type { V1Container, V1Volume } from "@kubernetes/client-node";
import { runProgram, stdoutOf } from "./programs.js";

/** Where the host's libraries appear in the pod (not over the image's own). */
const hostLibraries = "/mcpscope-host-lib";

/**
 * A pod container that runs this host's Python venv (the MCP SDK from PyPI) in the pod's own network
 * namespace: the venv and its base interpreter are mounted read-only at their own paths, the host's
 * shared libraries beside the image's, and the host's dynamic loader starts the interpreter with the
 * host's libraries, so nothing depends on what the pod's image holds besides /bin/sh. The script finds
 * the command line in $MCPSCOPE_PYTHON. For clients that must come from pod addresses; the node
 * provider runs pods on this host, so hostPath is this machine.
 */
export async function hostPythonContainer(
  venvPython: string,
  name: string,
  script: string,
): Promise<{ container: V1Container; volumes: V1Volume[] }> {
  const prefixes = stdoutOf(
    await runProgram(venvPython, ["-c", "import sys; print(sys.prefix); print(sys.base_prefix)"]),
    `${venvPython} -c sys.prefix`,
  )
    .trim()
    .split("\n");
  const basePrefix = prefixes[1] ?? prefixes[0];
  const hostLoader = await realpath("/lib64/ld-linux-x86-64.so.2");
  const mounts = [...new Set(prefixes)].map((path) => ({ host: path, pod: path }));
  mounts.push({ host: dirname(hostLoader), pod: hostLibraries });
  const volumes = mounts.map(({ host }, i) => ({
    name: `host-python-${i}`,
    hostPath: { path: host, type: "Directory" },
  }));
  const loader = `${hostLibraries}/${basename(hostLoader)}`;
  return {
    volumes,
    container: {
      name,
      image: "",
      command: ["/bin/sh", "-c", script],
      // The interpreter's own lib/ first: its libpython, not a system one of another build.
      env: [
        { name: "MCPSCOPE_PYTHON", value: `${loader} --library-path ${basePrefix}/lib:${hostLibraries} ${venvPython}` },
      ],
      // The venv lives under root's home on this host.
      securityContext: { runAsUser: 0 },
      volumeMounts: mounts.map(({ pod }, i) => ({ name: `host-python-${i}`, mountPath: pod, readOnly: true })),
    },
  };
}
