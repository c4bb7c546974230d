import type { V1Pod } from "@kubernetes/client-node";
import type { Operation } from "fast-json-patch";
import { z } from "zod";

/** The parts of an admission.k8s.io/v1 AdmissionReview the webhook reads. */
export const admissionReviewSchema = z.object({
  apiVersion: z.literal("admission.k8s.io/v1"),
  kind: z.literal("AdmissionReview"),
  request: z.object({
    uid: z.string().min(1),
    kind: z.object({ group: z.string(), version: z.string(), kind: z.string() }),
    namespace: z.string().optional(),
    operation: z.string(),
    object: z.record(z.string(), z.unknown()),
    dryRun: z.boolean().optional(),
  }),
});

export type AdmissionRequest = z.output<typeof admissionReviewSchema>["request"];

export function readAdmissionReview(
  body: string,
): { ok: true; request: AdmissionRequest & { pod: V1Pod } } | { ok: false; error: string } {
  let json: unknown;
  try {
    json = JSON.parse(body);
  } catch {
    return { ok: false, error: "the body is not JSON" };
  }
  const parsed = admissionReviewSchema.safeParse(json);
  if (!parsed.success) {
    return {
      ok: false,
      error: `not an admission.k8s.io/v1 AdmissionReview: ${parsed.error.issues.map((i) => `${i.path.join(".")} ${i.message}`).join("; ")}`,
    };
  }
  return { ok: true, request: { ...parsed.data.request, pod: parsed.data.request.object as V1Pod } };
}

/** Always allowed: injection fails open, so a webhook problem never blocks a pod (warnings say why). */
export function admissionResponse(uid: string, patch: Operation[] | undefined, warnings: string[]): object {
  return {
    apiVersion: "admission.k8s.io/v1",
    kind: "AdmissionReview",
    response: {
      uid,
      allowed: true,
      ...(patch && patch.length > 0
        ? { patchType: "JSONPatch", patch: Buffer.from(JSON.stringify(patch)).toString("base64") }
        : {}),
      ...(warnings.length > 0 ? { warnings } : {}),
    },
  };
}
