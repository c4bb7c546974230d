import { X509Certificate } from "node:crypto";
import { describe, expect, it } from "vitest";
import { createCertificateAuthority, issueCertificate, notAfterOf } from "./x509.js";

describe("x509", () => {
  it("issues a server certificate for the webhook's DNS names, verifiable with the CA", async () => {
    const ca = await createCertificateAuthority("mcpscope-webhook-ca", 3650);
    const leaf = await issueCertificate(ca, {
      commonName: "mcpscope-webhook.mcpscope-system.svc",
      dnsNames: ["mcpscope-webhook.mcpscope-system.svc", "mcpscope-webhook.mcpscope-system.svc.cluster.local"],
      ipAddresses: ["127.0.0.1"],
      usage: "server",
      validityDays: 365,
    });
    const cert = new X509Certificate(leaf.certPem);
    expect(cert.verify(new X509Certificate(ca.certPem).publicKey)).toBe(true);
    expect(cert.checkHost("mcpscope-webhook.mcpscope-system.svc")).toBe("mcpscope-webhook.mcpscope-system.svc");
    expect(cert.checkIP("127.0.0.1")).toBe("127.0.0.1");
    expect(new X509Certificate(ca.certPem).ca).toBe(true);
    expect(notAfterOf(leaf.certPem).getTime()).toBeGreaterThan(Date.now() + 364 * 86_400_000);
  });

  it("issues a client certificate carrying CN and O, as Kubernetes reads user and group", async () => {
    const ca = await createCertificateAuthority("test-ca", 1);
    const client = await issueCertificate(ca, {
      commonName: "admin",
      organization: "system:masters",
      usage: "client",
      validityDays: 1,
    });
    expect(new X509Certificate(client.certPem).subject).toBe("CN=admin\nO=system:masters");
    expect(client.keyPem).toMatch(/^-----BEGIN PRIVATE KEY-----\n/);
  });
});
