import { type JsonCost, textCostOf } from "./json-cost.js";

/** One tool definition of a catalogue and what it costs as compact JSON. */
export interface ToolDefinitionCost extends JsonCost {
  /** The tool's name; undefined when the definition has none (it still counts in the totals). */
  name: string | undefined;
}

/** A server's complete tool catalogue: every page of one tools/list, as one compact JSON `tools` array. */
export interface ToolCatalogueCost extends JsonCost {
  tools: ToolDefinitionCost[];
}

interface ListedTool {
  name: string | undefined;
  json: string;
}

/** Partial catalogues kept at once (clients that stop paging leave theirs behind until evicted). */
const defaultMaxPartial = 64;
/** A catalogue that pages past this many tools is given up (a server paging forever). */
const maxToolsPerCatalogue = 10_000;

/**
 * Assembles paginated tools/list results into complete catalogues. A list starts with a request
 * without a cursor and is complete at the first page without `nextCursor`; the pages in between are
 * chained by cursor, per client scope (its session, or none in the stateless protocol), so lists
 * interleaved by several clients never mix. Pure: the caller says which page answered which request.
 */
export class ToolCatalogueAssembler {
  /** Tools listed so far, by the scope and the cursor that asks for the next page. */
  readonly #partial = new Map<string, ListedTool[]>();
  readonly #maxPartial: number;

  constructor(maxPartial = defaultMaxPartial) {
    this.#maxPartial = maxPartial;
  }

  /**
   * A tools/list page answered the request that sent `cursor` in `scope`. Returns the catalogue when
   * this page completes one; undefined for a page in the middle, a malformed one, or one whose earlier
   * pages were not seen (the sidecar started mid-list, or tools changed since: see invalidate()).
   */
  page(scope: string, cursor: string | undefined, result: unknown): ToolCatalogueCost | undefined {
    if (!isRecord(result) || !Array.isArray(result.tools)) return undefined;
    let listed: ListedTool[] = [];
    if (cursor !== undefined) {
      const key = keyOf(scope, cursor);
      const earlier = this.#partial.get(key);
      if (!earlier) return undefined;
      this.#partial.delete(key);
      listed = earlier;
    }
    for (const tool of result.tools) {
      listed.push({
        name: isRecord(tool) && typeof tool.name === "string" ? tool.name : undefined,
        json: JSON.stringify(tool) ?? "null",
      });
    }
    const next = result.nextCursor;
    if (typeof next !== "string") return catalogueOf(listed);
    if (listed.length <= maxToolsPerCatalogue) this.#keep(keyOf(scope, next), listed);
    return undefined;
  }

  /** notifications/tools/list_changed: pages listed before it may not belong with pages after it. */
  invalidate(): void {
    this.#partial.clear();
  }

  get partialLists(): number {
    return this.#partial.size;
  }

  #keep(key: string, listed: ListedTool[]): void {
    this.#partial.delete(key);
    while (this.#partial.size >= this.#maxPartial) {
      const oldest = this.#partial.keys().next().value;
      if (oldest === undefined) break;
      this.#partial.delete(oldest);
    }
    this.#partial.set(key, listed);
  }
}

function catalogueOf(listed: ListedTool[]): ToolCatalogueCost {
  const whole = textCostOf(`[${listed.map((tool) => tool.json).join(",")}]`);
  return { ...whole, tools: listed.map((tool) => ({ name: tool.name, ...textCostOf(tool.json) })) };
}

function keyOf(scope: string, cursor: string): string {
  return `${scope}\u0000${cursor}`;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null;
}
