import type { V1EnvVar } from "@kubernetes/client-node";
import { SidecarEnv } from "@mcpscope/sidecar/constants";
import type { SloSpec } from "../api/mcpserver.js";

/** Objectives as written (strings): the sidecar parses them itself, so every way in reads the same. */
export type SloObjectives = SloSpec;

/**
 * What a server's sidecar is told: each objective it declares (McpServer spec.slo or pod annotations),
 * else the installation's default for that objective (chart slo.defaults, the operator's
 * SLO_DEFAULT_* env). Availability and latency fall back apart: declaring a latency objective keeps
 * the default availability one. Pure.
 */
export function effectiveSlo(declared: SloObjectives | undefined, defaults: SloObjectives | undefined): SloObjectives {
  const availability = declared?.availability ?? defaults?.availability;
  const latency = declared?.latency ?? defaults?.latency;
  return {
    ...(availability !== undefined ? { availability } : {}),
    ...(latency !== undefined ? { latency } : {}),
  };
}

/** The sidecar's MCP_SLO_* env for these objectives. Pure. */
export function sloEnv(slo: SloObjectives | undefined): V1EnvVar[] {
  return [
    ...(slo?.availability !== undefined ? [{ name: SidecarEnv.sloAvailability, value: slo.availability }] : []),
    ...(slo?.latency !== undefined
      ? [
          { name: SidecarEnv.sloLatencyThreshold, value: slo.latency.threshold },
          { name: SidecarEnv.sloLatencyObjective, value: slo.latency.objective },
        ]
      : []),
  ];
}
