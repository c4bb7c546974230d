import type { Meter } from "@opentelemetry/api";
import type { SloConfig } from "../config.js";
import { leLabelOf, SloName } from "../slo/objectives.js";
import { Attr, durationBucketsSeconds } from "./semconv.js";

/** The gauge the SLO rules read each server's objectives from (one series per declared objective). */
export const sloObjectiveMetric = "mcp_slo_objective_ratio";
/** The objective's name: availability or latency. */
export const sloLabel = "slo";
/**
 * On the latency objective only: its threshold as the `le` label of the mcp_request_duration_seconds
 * bucket that counts the requests answered in time, so one rule selects each server's own bucket with
 * `and on (server_name, le)` whatever thresholds the servers chose.
 */
export const sloThresholdLabel = "le";

/**
 * The request-duration buckets, with the latency threshold made one of them: the share of requests
 * under it is then counted exactly, not interpolated between two neighbours. Pure.
 */
export function requestDurationBuckets(slo: SloConfig): number[] {
  const threshold = slo.latency?.thresholdSeconds;
  if (threshold === undefined || durationBucketsSeconds.includes(threshold)) return durationBucketsSeconds;
  return [...durationBucketsSeconds, threshold].sort((a, b) => a - b);
}

/** Exports mcp_slo_objective_ratio{server_name, slo} for each objective the server declares. */
export function observeSloObjectives(meter: Meter, serverName: string, slo: SloConfig): void {
  const { availability, latency } = slo;
  if (availability === undefined && latency === undefined) return;
  const objective = meter.createObservableGauge(sloObjectiveMetric, {
    description:
      'The server\'s service level objectives as ratios: slo="availability" (share of requests without a server fault) and slo="latency" (share answered within the le threshold, in seconds)',
  });
  objective.addCallback((result) => {
    if (availability !== undefined)
      result.observe(availability, { [Attr.serverName]: serverName, [sloLabel]: SloName.availability });
    if (latency !== undefined)
      result.observe(latency.objective, {
        [Attr.serverName]: serverName,
        [sloLabel]: SloName.latency,
        [sloThresholdLabel]: leLabelOf(latency.thresholdSeconds),
      });
  });
}
