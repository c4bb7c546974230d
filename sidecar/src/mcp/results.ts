import { errorTypeOfCode } from "./error-codes.js";
import type { JsonRpcMessage } from "./jsonrpc.js";

/**
 * How one JSON-RPC request ended. `input_required` (2026-07-28 multi round-trip) is neither ok nor an
 * error: the client will call again. `cancelled`: the client left before the answer.
 */
export type Outcome =
  | { status: "ok" }
  | { status: "input_required" }
  | { status: "cancelled" }
  | {
      status: "error";
      errorType: string;
      /** the JSON-RPC code, for answers that carried one */
      code?: number;
      /** the JSON-RPC error message (for span status only: never a metric label) */
      message?: string;
    };

export const toolErrorType = "tool_error";
export const ok: Outcome = { status: "ok" };
export const inputRequired: Outcome = { status: "input_required" };
export const cancelled: Outcome = { status: "cancelled" };

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null;
}

/** How a response ends its request: a JSON-RPC error, a tool result with isError, input_required, or success. */
export function outcomeOfResponse(response: Extract<JsonRpcMessage, { kind: "response" }>, method: string): Outcome {
  if (response.error) {
    const { code, message } = response.error;
    return { status: "error", errorType: errorTypeOfCode(code), code, message };
  }
  if (!isRecord(response.result)) return ok;
  if (response.result.resultType === "input_required") return inputRequired;
  if (method === "tools/call" && response.result.isError === true) return { status: "error", errorType: toolErrorType };
  return ok;
}

/** HTTP failures carry the status code as error.type, as OTel's HTTP conventions do. */
export function outcomeOfHttpStatus(statusCode: number): Outcome {
  return statusCode >= 400 ? { status: "error", errorType: String(statusCode) } : ok;
}

/** Names announced in a tools/list result; whatever is not a string name is ignored. */
export function toolNamesOfListResult(result: unknown): string[] {
  if (!isRecord(result) || !Array.isArray(result.tools)) return [];
  const names: string[] = [];
  for (const tool of result.tools) {
    if (isRecord(tool) && typeof tool.name === "string") names.push(tool.name);
  }
  return names;
}

/** The tool a tools/call request names, if it names one. */
export function toolNameOfCall(params: unknown): string | undefined {
  return isRecord(params) && typeof params.name === "string" ? params.name : undefined;
}

/** The sessionId query parameter of the legacy HTTP+SSE transport's `endpoint` event (e.g. "/message?sessionId=…"). */
export function sessionIdOfEndpointEvent(data: string): string | undefined {
  try {
    return new URL(data.trim(), "http://endpoint.invalid").searchParams.get("sessionId") ?? undefined;
  } catch {
    return undefined;
  }
}

/** The cursor a tools/list (or other list) request sends for its next page; undefined for the first. */
export function cursorOfListRequest(params: unknown): string | undefined {
  return isRecord(params) && typeof params.cursor === "string" ? params.cursor : undefined;
}

/** The server's instructions in an initialize or server/discover result, when it has some. */
export function instructionsOfResult(result: unknown): string | undefined {
  return isRecord(result) && typeof result.instructions === "string" ? result.instructions : undefined;
}
