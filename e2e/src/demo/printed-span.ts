/** One span as the OpenTelemetry ConsoleSpanExporter prints it (util.inspect of the span). */
export interface PrintedSpan {
  traceId: string;
  spanId: string;
  /** The parent's span id ("" for a root span). */
  parentSpanId: string;
  name: string;
  durationMs: number;
}

/** The span of `traceId` in a process's stdout, where a console exporter printed it. Pure. */
export function printedSpan(output: string, traceId: string): PrintedSpan | undefined {
  for (const block of output.split(/^\{$/m)) {
    if (!block.includes(`\n  traceId: '${traceId}',`)) continue;
    const field = (pattern: RegExp) => pattern.exec(block)?.[1] ?? "";
    return {
      traceId,
      spanId: field(/^ {2}id: '([0-9a-f]{16})'/m),
      parentSpanId: field(/^ {2}parentSpanContext: \{[^}]*?spanId: '([0-9a-f]{16})'/m),
      name: field(/^ {2}name: '(.*)',$/m),
      // The exporter prints microseconds.
      durationMs: Number(field(/^ {2}duration: ([\d.]+)/m)) / 1000,
    };
  }
  return undefined;
}
