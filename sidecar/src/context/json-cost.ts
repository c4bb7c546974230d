import { estimateTokens } from "./token-estimate.js";

/** What a JSON value costs a model's context: UTF-8 bytes of its compact JSON, and estimated tokens. */
export interface JsonCost {
  bytes: number;
  tokens: number;
}

/** The cost of a value as compact JSON (JSON.stringify, no spaces), as a client passes it on. Pure. */
export function jsonCostOf(value: unknown): JsonCost {
  return textCostOf(JSON.stringify(value) ?? "null");
}

/** The cost of a text as it is. Pure. */
export function textCostOf(text: string): JsonCost {
  return { bytes: Buffer.byteLength(text, "utf8"), tokens: estimateTokens(text) };
}
