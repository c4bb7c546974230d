export { type AdmissionServer, mutatePodsPath, startAdmissionServer } from "./admission-server.js";
export { buildWebhookConfiguration } from "./configuration.js";
export { decideInjection, injectionPatch, injectSidecar } from "./injection.js";
export { namespaceResourcePolicy } from "./namespace-policy.js";
