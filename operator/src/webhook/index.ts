export { type AdmissionServer, mutatePodsPath, startAdmissionServer } from "./admission-server.js";
export { buildWebhookConfiguration } from "./configuration.js";
export { decideInjection, injectionPatch, injectSidecar } from "./injection.js";
export { type WatchedNamespacePolicies, watchNamespacePolicies } from "./namespace-policy.js";
