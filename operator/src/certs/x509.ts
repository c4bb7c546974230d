// @peculiar/x509 resolves its services through tsyringe, which needs the Reflect metadata API.
import "reflect-metadata";
import { webcrypto } from "node:crypto";
import * as x509 from "@peculiar/x509";

// @peculiar/x509 types its provider with the DOM Crypto; node:crypto's webcrypto is that API.
x509.cryptoProvider.set(webcrypto as never);

type CryptoKeyPair = webcrypto.CryptoKeyPair;
type CryptoKey = webcrypto.CryptoKey;

const algorithm = { name: "ECDSA", namedCurve: "P-256", hash: "SHA-256" } as const;

export interface PemPair {
  certPem: string;
  keyPem: string;
}

export interface CertificateRequest {
  commonName: string;
  organization?: string;
  dnsNames?: string[];
  ipAddresses?: string[];
  usage: "server" | "client";
  validityDays: number;
  /** Defaults to now; injectable so rotation can be tested without waiting. */
  notBefore?: Date;
}

function pemOfKey(der: ArrayBuffer): string {
  const b64 = Buffer.from(der).toString("base64").replace(/.{64}/g, "$&\n");
  return `-----BEGIN PRIVATE KEY-----\n${b64}${b64.endsWith("\n") ? "" : "\n"}-----END PRIVATE KEY-----\n`;
}

function subjectOf(commonName: string, organization?: string): string {
  const escapeDn = (v: string) => v.replace(/([,+"\\<>;=])/g, "\\$1");
  return organization ? `CN=${escapeDn(commonName)}, O=${escapeDn(organization)}` : `CN=${escapeDn(commonName)}`;
}

function serial(): string {
  return Buffer.from(webcrypto.getRandomValues(new Uint8Array(16)))
    .toString("hex")
    .replace(/^[89a-f]/, "7");
}

function validity(days: number, notBefore = new Date()): { notBefore: Date; notAfter: Date } {
  // Back-dated by five minutes so a peer with a slightly slow clock accepts a fresh certificate.
  const start = new Date(notBefore.getTime() - 5 * 60_000);
  return { notBefore: start, notAfter: new Date(notBefore.getTime() + days * 86_400_000) };
}

/** A self-signed ECDSA P-256 certificate authority. */
export async function createCertificateAuthority(
  commonName: string,
  validityDays: number,
  notBefore?: Date,
): Promise<PemPair> {
  const keys = await webcrypto.subtle.generateKey(algorithm, true, ["sign", "verify"]);
  const cert = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: serial(),
    name: subjectOf(commonName),
    ...validity(validityDays, notBefore),
    signingAlgorithm: algorithm,
    keys: keys as CryptoKeyPair,
    extensions: [
      new x509.BasicConstraintsExtension(true, 0, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign, true),
      await x509.SubjectKeyIdentifierExtension.create((keys as CryptoKeyPair).publicKey),
    ],
  });
  return {
    certPem: cert.toString("pem"),
    keyPem: pemOfKey(await webcrypto.subtle.exportKey("pkcs8", (keys as CryptoKeyPair).privateKey)),
  };
}

async function importKey(keyPem: string): Promise<CryptoKey> {
  const der = Buffer.from(keyPem.replace(/-----[A-Z ]+-----/g, "").replace(/\s+/g, ""), "base64");
  return (await webcrypto.subtle.importKey("pkcs8", der, algorithm, true, ["sign"])) as CryptoKey;
}

/** A leaf certificate signed by `ca`, for a TLS server (SANs) or a client (CN/O identity). */
export async function issueCertificate(ca: PemPair, request: CertificateRequest): Promise<PemPair> {
  const keys = (await webcrypto.subtle.generateKey(algorithm, true, ["sign", "verify"])) as CryptoKeyPair;
  const caCert = new x509.X509Certificate(ca.certPem);
  const sans: x509.JsonGeneralName[] = [
    ...(request.dnsNames ?? []).map((value) => ({ type: "dns" as const, value })),
    ...(request.ipAddresses ?? []).map((value) => ({ type: "ip" as const, value })),
  ];
  const cert = await x509.X509CertificateGenerator.create({
    serialNumber: serial(),
    subject: subjectOf(request.commonName, request.organization),
    issuer: caCert.subject,
    ...validity(request.validityDays, request.notBefore),
    signingAlgorithm: algorithm,
    publicKey: keys.publicKey,
    signingKey: await importKey(ca.keyPem),
    extensions: [
      new x509.BasicConstraintsExtension(false, undefined, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature | x509.KeyUsageFlags.keyEncipherment, true),
      new x509.ExtendedKeyUsageExtension([
        request.usage === "server" ? x509.ExtendedKeyUsage.serverAuth : x509.ExtendedKeyUsage.clientAuth,
      ]),
      ...(sans.length > 0 ? [new x509.SubjectAlternativeNameExtension(sans)] : []),
    ],
  });
  return {
    certPem: cert.toString("pem"),
    keyPem: pemOfKey(await webcrypto.subtle.exportKey("pkcs8", keys.privateKey)),
  };
}

/** When a PEM certificate stops being valid. */
export function notAfterOf(certPem: string): Date {
  return new x509.X509Certificate(certPem).notAfter;
}
