import { callerMistakeErrorTypes, errorTypeOfCode, WireErrorCode } from "../mcp/error-codes.js";
import { SidecarErrorReason } from "../telemetry/semconv.js";

// Service level objectives as every way in spells them (McpServer spec.slo, pod annotations, the
// chart's slo.defaults, the sidecar's MCP_SLO_* env): one parser each, shared by the sidecar and the
// operator through @mcpscope/sidecar/constants, so all four accept exactly the same strings.

/** The names of the objectives, the `slo` label of mcp_slo_objective_ratio and the rules' series. */
export const SloName = { availability: "availability", latency: "latency" } as const;
export type SloName = (typeof SloName)[keyof typeof SloName];

/** A percent as a decimal string, e.g. "99.9"; the CRD's CEL rule checks the same pattern. */
// [.] rather than \. so the pattern can be quoted into a CEL rule as it is.
export const sloPercentPattern = /^[0-9]{1,2}([.][0-9]+)?$/;
export const sloPercentRule = 'must be a percent strictly between 0 and 100, such as "99.9"';

/** One number and one unit (ms, s or m), e.g. "500ms", "1.5s", "2m"; the CRD's CEL rule checks the same. */
export const sloDurationPattern = /^([0-9]+)(?:[.]([0-9]+))?(ms|s|m)$/;
export const sloDurationRule = 'must be a positive duration such as "500ms", "1.5s" or "2m"';

/**
 * "99.9" → 0.999, or undefined when it is not a percent strictly between 0 and 100. The decimal point
 * is moved in the string, not by dividing by 100, so "99.9" gives the double nearest 0.999 (not
 * 0.9990000000000001) and the exported objective reads as it was written. Pure.
 */
export function parseSloPercent(value: string): number | undefined {
  const match = sloPercentPattern.exec(value);
  if (!match) return undefined;
  const [whole = "", fraction = ""] = value.split(".");
  const ratio = Number(`0.${whole.padStart(2, "0")}${fraction}`);
  return ratio > 0 ? ratio : undefined;
}

/**
 * "500ms" → 0.5 (seconds), or undefined when it is not a positive duration. Computed from the decimal
 * digits so the result is the double nearest the written value: it becomes a histogram bucket
 * boundary, and the le label Prometheus shows must read "0.5", not "0.5000000000000001". Pure.
 */
export function parseSloDurationSeconds(value: string): number | undefined {
  const match = sloDurationPattern.exec(value);
  if (!match) return undefined;
  const [, whole = "", fraction = "", unit] = match;
  let digits = BigInt(`${whole}${fraction}`);
  let exponent = -fraction.length;
  if (unit === "ms") exponent -= 3;
  if (unit === "m") digits *= 60n;
  const seconds = Number(`${digits}e${exponent}`);
  return seconds > 0 ? seconds : undefined;
}

/**
 * A bucket boundary as the `le` label shows it: the shortest decimal that reads back as the same
 * double, which both the sidecar's Prometheus exporter and the Collector's write. Pure.
 */
export function leLabelOf(seconds: number): string {
  return String(seconds);
}

/**
 * error_type values that are the caller's mistake, not a server fault, for the availability SLO (the
 * rules in charts/mcpscope/files/slo-rules.yml; a test checks they agree): the JSON-RPC codes the
 * OTel MCP conventions do not count as server errors and the sidecar's refusals of the client's own
 * request. HTTP 4xx answers (error_type "4xx" as a number) are the caller's too.
 */
export const sloCallerMistakeErrorTypes: readonly string[] = [
  ...callerMistakeErrorTypes,
  SidecarErrorReason.bodyTooLarge,
  SidecarErrorReason.badRequest,
];
/** error_type values that are neither good nor bad: the server asks the user to act (as input_required). */
export const sloNeutralErrorTypes: readonly string[] = [errorTypeOfCode(WireErrorCode.UrlElicitationRequired)];
