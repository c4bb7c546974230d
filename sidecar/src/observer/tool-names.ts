import { otherMethod } from "../mcp/methods.js";

/**
 * Tool names the upstream announced in tools/list. Only these become `tool_name` label values, so
 * a client cannot create series by calling made-up tools; past `maxNames` new names are refused.
 */
export class ToolNameRegistry {
  readonly #names = new Set<string>();
  readonly #maxNames: number;

  constructor(maxNames: number) {
    this.#maxNames = maxNames;
  }

  learn(names: Iterable<string>): void {
    for (const name of names) {
      if (this.#names.size >= this.#maxNames) return;
      this.#names.add(name);
    }
  }

  toolNameOrOther(name: string | undefined): string {
    return name !== undefined && this.#names.has(name) ? name : otherMethod;
  }

  get size(): number {
    return this.#names.size;
  }
}
