import type { CoreV1Api } from "@kubernetes/client-node";

/**
 * A namespace's labels (for the namespace-wide injection opt-in), read once per namespace every
 * ttlMs at most: admissions come in bursts (a Deployment's pods) and need not each cost an API call.
 */
export function cachedNamespaceLabels(
  core: CoreV1Api,
  ttlMs = 30_000,
  now: () => number = Date.now,
): (namespace: string) => Promise<Record<string, string>> {
  const cache = new Map<string, { labels: Record<string, string>; at: number }>();
  return async (namespace) => {
    const cached = cache.get(namespace);
    if (cached && now() - cached.at < ttlMs) return cached.labels;
    const labels = (await core.readNamespace({ name: namespace })).metadata?.labels ?? {};
    cache.set(namespace, { labels, at: now() });
    return labels;
  };
}
