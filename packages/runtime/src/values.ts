// The values the runtime computes with: a normalised request (own, prototype-free), and
// the readers for fields and derived values (`prompt.tokens`, `prompt.chars`), which are
// computed lazily because tokenising is the most expensive part of a decision.

import type { Model, Value } from './ir.js';

/** Counts the tokens of a text. */
export type TokenCounter = (text: string) => number;

/** A validated request: every declared field present (defaults applied), derived values on demand. */
export class NormalizedRequest {
  private derived: Map<string, number> | undefined;

  /**
   * @param values the field values, by field index
   * @param slots field name → index (shared by every request of a policy)
   */
  constructor(
    private readonly values: readonly (Value | undefined)[],
    private readonly slots: ReadonlyMap<string, number>,
    private readonly countTokens: TokenCounter,
  ) {}

  /** The field values by slot (what a compiled module's `walk` reads). */
  get fieldValues(): readonly (Value | undefined)[] {
    return this.values;
  }

  /** Builds a request from a plain object of already-valid values (for tools and tests). */
  static of(values: Readonly<Record<string, Value>>, countTokens: TokenCounter): NormalizedRequest {
    const names = Object.keys(values);
    return new NormalizedRequest(
      names.map((n) => values[n]),
      new Map(names.map((n, i) => [n, i])),
      countTokens,
    );
  }

  /** The value of a field or a derived value; undefined if the path does not exist. */
  read(path: readonly string[]): Value | undefined {
    const [name, part] = path;
    if (name === undefined) return undefined;
    const slot = this.slots.get(name);
    return slot === undefined ? undefined : this.at(slot, part);
  }

  /** The value of the field at `slot`, or its derived `part` (`tokens`, `chars`). */
  at(slot: number, part?: string): Value | undefined {
    const value = this.values[slot];
    if (part === undefined) return value;
    if (typeof value !== 'string') return undefined;
    const key = `${slot}.${part}`;
    const cached = this.derived?.get(key);
    if (cached !== undefined) return cached;
    let computed: number | undefined;
    if (part === 'tokens') computed = this.countTokens(value);
    else if (part === 'chars') computed = [...value].length;
    if (computed !== undefined) {
      this.derived ??= new Map();
      this.derived.set(key, computed);
    }
    return computed;
  }

  /** The request as a plain object (fields only), for logs and explanations. */
  toJSON(): Record<string, Value> {
    const out: Record<string, Value> = {};
    for (const [name, slot] of this.slots) {
      const v = this.values[slot];
      if (v !== undefined) out[name] = v;
    }
    return out;
  }
}

/** Reads a property of a model for `model.*` in assertions. */
export function readModel(model: Model, path: readonly string[]): Value | undefined {
  const [first, second] = path;
  switch (first) {
    case undefined:
    case 'name':
      return model.name;
    case 'provider':
      return model.provider;
    case 'id':
      return model.id;
    case 'context':
      return model.context;
    case 'max_output':
      return model.maxOutput ?? model.context;
    case 'deployment':
      return model.deployment;
    case 'regions':
      return model.regions;
    case 'tags':
      return model.tags;
    case 'latency':
      return model.latencyMs ?? 0;
    case 'price':
      // Prices are compared per million tokens, as they are written.
      return second === 'input' ? model.inputPrice * 1_000_000 : second === 'output' ? model.outputPrice * 1_000_000 : undefined;
    default:
      return undefined;
  }
}
