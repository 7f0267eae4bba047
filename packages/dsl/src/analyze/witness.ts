// Counterexamples: turns a path of the decision diagram (variable → region) into a
// concrete request a person can read and replay. A path is infeasible when the strings it
// asks for cannot exist (a text that must contain "abc" but not "b"); analyses then look
// for another path.

import type { FieldType, Value } from '@routelang/runtime';
import type { Diagrams } from '../graph/diagram.js';
import { otherString } from '../graph/partition.js';

/** A request that shows a finding, with notes for what a JSON value cannot show (text sizes). */
export interface Counterexample {
  readonly request: Record<string, Value>;
  /** e.g. "prompt: any text of at least 8,001 tokens" */
  readonly notes: readonly string[];
}

interface TextConstraints {
  required: string[];
  forbidden: string[];
  literal?: string;
  avoid: string[];
  sizes: string[];
}

/** Builds the request for an assignment, or undefined when it asks for impossible strings. */
export function counterexample(
  diagrams: Diagrams,
  assignment: ReadonlyMap<number, number>,
  fields: ReadonlyMap<string, FieldType>,
  defaults: ReadonlyMap<string, Value>,
): Counterexample | undefined {
  const request: Record<string, Value> = {};
  const texts = new Map<string, TextConstraints>();
  const text = (name: string): TextConstraints => {
    let t = texts.get(name);
    if (!t) {
      t = { required: [], forbidden: [], avoid: [], sizes: [] };
      texts.set(name, t);
    }
    return t;
  };
  const lists = new Map<string, string[]>();
  for (const [v, region] of assignment) {
    const spec = diagrams.vars[v];
    if (!spec) continue;
    const variable = spec.variable;
    const [name, part] = variable.field as [string, string | undefined];
    switch (variable.kind) {
      case 'bool':
      case 'enum':
        request[name] = spec.representatives[region] as Value;
        break;
      case 'interval':
        if (part) text(name).sizes.push(spec.describe(region));
        else request[name] = spec.representatives[region] as Value;
        break;
      case 'literal':
        if (region < variable.literals.length) text(name).literal = variable.literals[region];
        else text(name).avoid.push(...variable.literals);
        break;
      case 'contains':
        (region === 1 ? text(name).required : text(name).forbidden).push(variable.substring);
        break;
      case 'member':
        if (region === 1) {
          const list = lists.get(name) ?? [];
          list.push(variable.literal);
          lists.set(name, list);
        }
        break;
    }
  }
  const notes: string[] = [];
  for (const [name, t] of texts) {
    let value: string;
    if (t.literal !== undefined) value = t.literal;
    else {
      value = t.required.length > 0 ? t.required.join(' ') : t.sizes.length > 0 ? '…' : 'hello';
      if (t.avoid.includes(value)) value = otherString([...t.avoid, ...t.required]);
    }
    if (t.forbidden.some((f) => value.includes(f)) || t.required.some((r) => !value.includes(r))) return undefined;
    request[name] = value;
    for (const size of t.sizes) notes.push(size.replace(/^/, ''));
  }
  for (const [name, list] of lists) request[name] = list;
  // Fields the path does not constrain: their default, or a neutral value of their type.
  for (const [name, type] of fields) {
    if (name in request || defaults.has(name)) continue;
    request[name] = neutral(type);
  }
  return { request, notes };
}

function neutral(type: FieldType): Value {
  switch (type.kind) {
    case 'bool':
      return false;
    case 'enum':
      return type.members[0] ?? '';
    case 'list':
      return [];
    case 'string':
    case 'text':
      return 'hello';
    default:
      return 0;
  }
}

/** A counterexample as one line: `{"pii": true, "prompt": "…"} (prompt.tokens ≥ 8000)`. */
export function formatCounterexample(c: Counterexample): string {
  const entries = Object.entries(c.request).map(([k, v]) => `${k}: ${JSON.stringify(v)}`);
  const shown = `{ ${entries.join(', ')} }`;
  return c.notes.length > 0 ? `${shown} with ${c.notes.join(' and ')}` : shown;
}

/** Finds a feasible path to a terminal accepted by `target`, as a counterexample. */
export function findCounterexample(
  diagrams: Diagrams,
  root: number,
  target: (terminal: number) => boolean,
  fields: ReadonlyMap<string, FieldType>,
  defaults: ReadonlyMap<string, Value>,
): Counterexample | undefined {
  let found: Counterexample | undefined;
  const path = diagrams.witness(root, target, (assignment) => {
    found = counterexample(diagrams, assignment, fields, defaults);
    return found !== undefined;
  });
  return path ? found : undefined;
}
