import { createServer, type Server } from "node:https";
import type { AddressInfo } from "node:net";
import { CoreV1Api, KubeConfig } from "@kubernetes/client-node";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createCertificateAuthority, issueCertificate } from "./certs/x509.js";
import { PooledKubeConfig } from "./pooled-kube-config.js";

let server: Server;
let caPem: string;
let handshakes = 0;

beforeAll(async () => {
  const ca = await createCertificateAuthority("test-ca", 1);
  caPem = ca.certPem;
  const serving = await issueCertificate(ca, {
    commonName: "127.0.0.1",
    ipAddresses: ["127.0.0.1"],
    usage: "server",
    validityDays: 1,
  });
  // A TLS server answering as the API server does for GET /api/v1/namespaces: counts the handshakes.
  server = createServer({ cert: serving.certPem, key: serving.keyPem }, (_req, res) => {
    res.writeHead(200, { "content-type": "application/json" });
    res.end(JSON.stringify({ kind: "NamespaceList", apiVersion: "v1", metadata: {}, items: [] }));
  });
  server.on("secureConnection", () => handshakes++);
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
});

afterAll(async () => {
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
});

function load(kc: KubeConfig): KubeConfig {
  const { port } = server.address() as AddressInfo;
  const caData = Buffer.from(caPem).toString("base64");
  kc.loadFromOptions({
    clusters: [{ name: "test", server: `https://127.0.0.1:${port}`, caData, skipTLSVerify: false }],
    users: [
      { name: "alice", token: "a" },
      { name: "bob", token: "b" },
    ],
    contexts: [
      { name: "alice", cluster: "test", user: "alice" },
      { name: "bob", cluster: "test", user: "bob" },
    ],
    currentContext: "alice",
  });
  return kc;
}

async function handshakesFor(kc: KubeConfig, calls: number): Promise<number> {
  const before = handshakes;
  const core = kc.makeApiClient(CoreV1Api);
  for (let i = 0; i < calls; i++) await core.listNamespace();
  return handshakes - before;
}

describe("PooledKubeConfig", () => {
  // One or two: undici may open a second connection for the second call when the first's socket is not
  // back in its pool yet; from then on the kept connections serve every call.
  it("makes its API calls over kept-alive connections, not one per call", async () => {
    const kc = load(new PooledKubeConfig()) as PooledKubeConfig;
    expect(await handshakesFor(kc, 20)).toBeLessThanOrEqual(2);
    // Another API client from the same config shares them too.
    expect(await handshakesFor(kc, 5)).toBe(0);
    await kc.closeConnections();
  });

  it("connects anew for another user", async () => {
    const kc = load(new PooledKubeConfig()) as PooledKubeConfig;
    expect(await handshakesFor(kc, 3)).toBeLessThanOrEqual(2);
    kc.setCurrentContext("bob");
    expect(await handshakesFor(kc, 3)).toBeGreaterThanOrEqual(1);
    kc.setCurrentContext("alice");
    expect(await handshakesFor(kc, 3)).toBe(0);
    await kc.closeConnections();
  });

  it("is still needed: client-node's own KubeConfig connects once per call (drop the class when this fails)", async () => {
    expect(await handshakesFor(load(new KubeConfig()), 5)).toBe(5);
  });
});
