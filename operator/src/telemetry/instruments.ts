import type { Meter } from "@opentelemetry/api";

/** Every metric the operator records, by name: one place, as the sidecar's semconv.ts. */
export const OperatorMetricName = {
  reconciles: "mcpscope_operator_reconciles",
  reconcileDuration: "mcpscope_operator_reconcile_duration_seconds",
  admissions: "mcpscope_operator_admissions",
  queueDepth: "mcpscope_operator_queue_depth",
  leader: "mcpscope_operator_leader",
} as const;

export type AdmissionResult = "injected" | "skipped" | "failed";

export interface OperatorInstruments {
  reconciled(result: "ok" | "error", seconds: number): void;
  admitted(result: AdmissionResult): void;
}

/** Creates the operator's instruments from an injected Meter; the gauges read `state` at collection. */
export function createOperatorInstruments(
  meter: Meter,
  state: { queueDepth(): number; isLeader(): boolean },
): OperatorInstruments {
  const reconciles = meter.createCounter(OperatorMetricName.reconciles, { description: "Reconciles by result" });
  const reconcileDuration = meter.createHistogram(OperatorMetricName.reconcileDuration, {
    description: "Time to reconcile one McpServer",
    unit: "s",
    advice: { explicitBucketBoundaries: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10] },
  });
  const admissions = meter.createCounter(OperatorMetricName.admissions, {
    description: "Pod admissions by result (injected, skipped, failed)",
  });
  meter
    .createObservableGauge(OperatorMetricName.queueDepth, { description: "Keys waiting in the work queue" })
    .addCallback((r) => r.observe(state.queueDepth()));
  meter
    .createObservableGauge(OperatorMetricName.leader, { description: "1 on the replica that runs the controller" })
    .addCallback((r) => r.observe(state.isLeader() ? 1 : 0));
  return {
    reconciled(result, seconds) {
      reconciles.add(1, { result });
      reconcileDuration.record(seconds, { result });
    },
    admitted(result) {
      admissions.add(1, { result });
    },
  };
}
