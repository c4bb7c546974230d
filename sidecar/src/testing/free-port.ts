import { readFileSync } from "node:fs";
import { createServer } from "node:net";

/**
 * A TCP port that was free a moment ago on 127.0.0.1, picked below the kernel's ephemeral range: a port
 * from that range (what listen(0) hands out) can be taken as the source port of any outgoing connection —
 * kube-apiserver's hundreds to etcd, say — between this call and the bind, which fails a test now and then.
 * Below Kubernetes' NodePort range too (30000–32767), which kube-proxy's rules own on the node provider.
 */
export async function freePort(): Promise<number> {
  const low = 10_000;
  const high = Math.min(ephemeralRangeStart(), 30_000) - 1;
  if (high - low < 1_000) return kernelPickedPort();
  for (let attempt = 0; attempt < 100; attempt++) {
    const port = low + Math.floor(Math.random() * (high - low + 1));
    if (await isPortFree(port)) return port;
  }
  return kernelPickedPort();
}

/** Whether nothing listens on 127.0.0.1:port right now (a listen probe, closed at once). */
export function isPortFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const probe = createServer();
    probe.once("error", () => resolve(false));
    probe.listen(port, "127.0.0.1", () => probe.close(() => resolve(true)));
  });
}

function ephemeralRangeStart(): number {
  try {
    const [start] = readFileSync("/proc/sys/net/ipv4/ip_local_port_range", "utf8").trim().split(/\s+/);
    return Number(start) || 32_768;
  } catch {
    return 32_768; // Linux's default
  }
}

function kernelPickedPort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      const port = typeof address === "object" && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}
