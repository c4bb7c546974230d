/**
 * Values made once per distinct combination of label values and kept, found again by those values
 * through nested maps: no key string is built and nothing is allocated once a combination is known.
 *
 * Why: the OTel SDK hashes each record's attributes (sorts their keys, JSON-encodes them) and the
 * proxy made a fresh attribute object for every record: ≈ 1.4 KB allocated per record, five records
 * per tools/call, at 1,000 req/s. Label values are bounded before they get here (methods, statuses,
 * error types, protocol revisions, the tool-name registry), and so is what this keeps.
 */
export class LabelSets<T> {
  readonly #depth: number;
  readonly #make: (values: readonly (string | undefined)[]) => T & {};
  readonly #root = new Map<string | undefined, unknown>();
  readonly #all: T[] = [];

  /**
   * `depth`: how many label values name one combination (every lookup passes exactly that many);
   * `make`: the value for a combination seen for the first time (never undefined: that reads as not kept).
   */
  constructor(depth: number, make: (values: readonly (string | undefined)[]) => T & {}) {
    if (!Number.isInteger(depth) || depth < 1) throw new RangeError(`LabelSets depth must be ≥ 1, got ${depth}`);
    this.#depth = depth;
    this.#make = make;
  }

  /** The value kept for these label values, made now if they are new. */
  of(values: readonly (string | undefined)[]): T {
    if (values.length !== this.#depth)
      throw new RangeError(`LabelSets: ${values.length} label values given, ${this.#depth} expected`);
    let node = this.#root;
    const last = this.#depth - 1;
    for (let i = 0; i < last; i++) {
      let next = node.get(values[i]) as Map<string | undefined, unknown> | undefined;
      if (next === undefined) {
        next = new Map();
        node.set(values[i], next);
      }
      node = next;
    }
    const kept = node.get(values[last]) as T | undefined;
    if (kept !== undefined) return kept;
    const value = this.#make(values);
    node.set(values[last], value);
    this.#all.push(value);
    return value;
  }

  /** Every value kept, in the order the combinations were first seen. */
  values(): readonly T[] {
    return this.#all;
  }
}
