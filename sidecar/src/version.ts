/** Reported to upstreams by the health-check client; kept in step with package.json by a test. */
export const sidecarVersion = "0.1.0";
