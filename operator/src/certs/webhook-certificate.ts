import { X509Certificate } from "node:crypto";
import {
  AdmissionregistrationV1Api,
  CoreV1Api,
  type KubeConfig,
  PatchStrategy,
  setHeaderOptions,
  type V1Secret,
} from "@kubernetes/client-node";
import { orUndefinedIfAbsent } from "../kube-errors.js";
import { createCertificateAuthority, issueCertificate, type PemPair } from "./x509.js";

export interface WebhookCertificateOptions {
  namespace: string;
  secretName: string;
  webhookConfigurationName: string;
  dnsNames: string[];
  ipAddresses?: string[];
  /** Renew when less than this much validity is left. */
  renewBeforeDays?: number;
  now?: () => Date;
}

export interface WebhookCertificate {
  caPem: string;
  serving: PemPair;
  /** True when this call created or renewed something. */
  changed: boolean;
}

const caValidityDays = 3650;
const servingValidityDays = 365;

function needsRenewal(certPem: string | undefined, now: Date, renewBeforeDays: number): boolean {
  if (!certPem) return true;
  try {
    return new Date(new X509Certificate(certPem).validTo).getTime() - now.getTime() < renewBeforeDays * 86_400_000;
  } catch {
    return true;
  }
}

function coversNames(certPem: string, dnsNames: string[], ips: string[]): boolean {
  const cert = new X509Certificate(certPem);
  return dnsNames.every((n) => cert.checkHost(n) === n) && ips.every((ip) => cert.checkIP(ip) === ip);
}

const decode = (secret: V1Secret | undefined, key: string) => {
  const value = secret?.data?.[key];
  return value ? Buffer.from(value, "base64").toString("utf8") : undefined;
};

/**
 * The webhook's own CA and serving certificate, kept in a Secret so they are stable across restarts
 * and replicas; renewed before they expire; the MutatingWebhookConfiguration's caBundle is patched
 * only when it differs, so repeated syncs change nothing.
 */
export async function ensureWebhookCertificate(
  kubeConfig: KubeConfig,
  options: WebhookCertificateOptions,
  attempt = 0,
): Promise<WebhookCertificate> {
  const core = kubeConfig.makeApiClient(CoreV1Api);
  const now = options.now?.() ?? new Date();
  const renewBefore = options.renewBeforeDays ?? 30;
  const ips = options.ipAddresses ?? [];
  const existing = await orUndefinedIfAbsent(
    core.readNamespacedSecret({ name: options.secretName, namespace: options.namespace }),
  );
  let ca: PemPair | undefined;
  const caCert = decode(existing, "ca.crt");
  const caKey = decode(existing, "ca.key");
  let changed = false;
  if (caCert && caKey && !needsRenewal(caCert, now, renewBefore)) ca = { certPem: caCert, keyPem: caKey };
  else {
    ca = await createCertificateAuthority("mcpscope-webhook-ca", caValidityDays, now);
    changed = true;
  }
  const servingCert = decode(existing, "tls.crt");
  const servingKey = decode(existing, "tls.key");
  let serving: PemPair;
  if (
    !changed &&
    servingCert &&
    servingKey &&
    !needsRenewal(servingCert, now, renewBefore) &&
    coversNames(servingCert, options.dnsNames, ips)
  ) {
    serving = { certPem: servingCert, keyPem: servingKey };
  } else {
    serving = await issueCertificate(ca, {
      commonName: options.dnsNames[0] ?? "mcpscope-webhook",
      dnsNames: options.dnsNames,
      ipAddresses: ips,
      usage: "server",
      validityDays: servingValidityDays,
      notBefore: now,
    });
    changed = true;
  }
  if (changed) {
    const b64 = (s: string) => Buffer.from(s).toString("base64");
    const body: V1Secret = {
      apiVersion: "v1",
      kind: "Secret",
      type: "kubernetes.io/tls",
      metadata: {
        name: options.secretName,
        namespace: options.namespace,
        labels: { "app.kubernetes.io/managed-by": "mcpscope" },
      },
      data: {
        "ca.crt": b64(ca.certPem),
        "ca.key": b64(ca.keyPem),
        "tls.crt": b64(serving.certPem),
        "tls.key": b64(serving.keyPem),
      },
    };
    try {
      if (existing) {
        await core.replaceNamespacedSecret({
          name: options.secretName,
          namespace: options.namespace,
          body: { ...body, metadata: { ...body.metadata, resourceVersion: existing.metadata?.resourceVersion } },
        });
      } else {
        await core.createNamespacedSecret({ namespace: options.namespace, body });
      }
    } catch (error) {
      // Another replica wrote the Secret first (409: created, or changed since read): adopt its certificate.
      if ((error as { code?: number }).code === 409 && attempt < 3)
        return ensureWebhookCertificate(kubeConfig, options, attempt + 1);
      throw error;
    }
  }
  await ensureCaBundle(kubeConfig, options.webhookConfigurationName, ca.certPem);
  return { caPem: ca.certPem, serving, changed };
}

/** Patches every webhook's clientConfig.caBundle that differs from `caPem`; no write when all match. */
export async function ensureCaBundle(kubeConfig: KubeConfig, name: string, caPem: string): Promise<boolean> {
  const api = kubeConfig.makeApiClient(AdmissionregistrationV1Api);
  const config = await orUndefinedIfAbsent(api.readMutatingWebhookConfiguration({ name }));
  if (!config) return false;
  const bundle = Buffer.from(caPem).toString("base64");
  const ops = (config.webhooks ?? []).flatMap((w, i) =>
    w.clientConfig.caBundle === bundle
      ? []
      : [{ op: "add", path: `/webhooks/${i}/clientConfig/caBundle`, value: bundle }],
  );
  if (ops.length === 0) return false;
  await api.patchMutatingWebhookConfiguration(
    { name, body: ops },
    setHeaderOptions("Content-Type", PatchStrategy.JsonPatch),
  );
  return true;
}
