// The values the runtime computes with: a normalised request (own, prototype-free), and
// the readers for fields and derived values (`prompt.tokens`, `prompt.chars`), which are
// computed lazily because tokenising is the most expensive part of a decision.

import type { Model, Value } from './ir.js';

/** Counts the tokens of a text. */
export type TokenCounter = (text: string) => number;

/** A validated request: every declared field present (defaults applied), derived values on demand. */
export class NormalizedRequest {
  private readonly values: Map<string, Value>;
  private readonly derived = new Map<string, number>();

  constructor(
    values: Map<string, Value>,
    private readonly countTokens: TokenCounter,
  ) {
    this.values = values;
  }

  /** The value of a field or a derived value; undefined if the path does not exist. */
  read(path: readonly string[]): Value | undefined {
    const [name, part] = path;
    if (name === undefined) return undefined;
    const value = this.values.get(name);
    if (part === undefined) return value;
    if (typeof value !== 'string') return undefined;
    const key = `${name}.${part}`;
    const cached = this.derived.get(key);
    if (cached !== undefined) return cached;
    let computed: number | undefined;
    if (part === 'tokens') computed = this.countTokens(value);
    else if (part === 'chars') computed = [...value].length;
    if (computed !== undefined) this.derived.set(key, computed);
    return computed;
  }

  /** The request as a plain object (fields only), for logs and explanations. */
  toJSON(): Record<string, Value> {
    return Object.fromEntries(this.values);
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
