import type { CoreV1Api, V1ObjectReference } from "@kubernetes/client-node";
import type { Logger } from "pino";
import type { Reason } from "./api/reasons.js";

export interface WarningEvent {
  namespace: string;
  involvedObject: V1ObjectReference;
  reason: Reason;
  message: string;
  /** The Event's source.component: mcpscope-operator or mcpscope-webhook. */
  component: string;
}

/** Records a Warning Event; failing to record one never fails the caller (it is logged). */
export async function recordWarning(core: CoreV1Api, event: WarningEvent, logger: Logger): Promise<void> {
  const now = new Date();
  try {
    await core.createNamespacedEvent({
      namespace: event.namespace,
      body: {
        metadata: { generateName: `${event.involvedObject.name ?? "mcpscope"}.`, namespace: event.namespace },
        involvedObject: event.involvedObject,
        type: "Warning",
        reason: event.reason,
        message: event.message,
        source: { component: event.component },
        firstTimestamp: now,
        lastTimestamp: now,
        count: 1,
      },
    });
  } catch (error) {
    logger.warn({ err: error, reason: event.reason }, "could not record an event");
  }
}
