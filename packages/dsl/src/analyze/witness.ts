// Counterexamples: turns a path of the decision diagram (variable → region) into a
// concrete request a person can read and replay. Paths come from diagrams conjoined with
// the consistency diagram, so the strings they ask for exist (a text that must contain
// "abc" but not "b" is excluded there); building one never fails for such a path.

import type { FieldType, Value } from '@routelang/runtime';
import type { Diagrams } from '../graph/diagram.js';

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
  /** The value must differ from every literal of the field (the "other" region). */
  notLiteral: boolean;
  sizes: string[];
}

/** A field's string constants, read once per diagram set: a counterexample per rule must not rescan them. */
interface FieldConstants {
  readonly separator: string;
  readonly literals: ReadonlySet<string>;
}

const constantsCache = new WeakMap<Diagrams, Map<string, FieldConstants>>();

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
      t = { required: [], forbidden: [], notLiteral: false, sizes: [] };
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
        else text(name).notLiteral = true;
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
    const value = textValue(t, constantsOf(diagrams, name));
    if (value === undefined) return undefined;
    request[name] = value;
    notes.push(...t.sizes);
  }
  for (const [name, list] of lists) request[name] = list;
  // Fields the path does not constrain: their default, or a neutral value of their type.
  for (const [name, type] of fields) {
    if (name in request || defaults.has(name)) continue;
    request[name] = neutral(type);
  }
  return { request, notes };
}

/** The string constants the variables of field `name` mention (literals and substrings), cached. */
function constantsOf(diagrams: Diagrams, name: string): FieldConstants {
  let byField = constantsCache.get(diagrams);
  if (!byField) {
    byField = new Map();
    constantsCache.set(diagrams, byField);
  }
  const hit = byField.get(name);
  if (hit) return hit;
  const all: string[] = [];
  const literals = new Set<string>();
  diagrams.work += diagrams.vars.length;
  for (const spec of diagrams.vars) {
    const v = spec.variable;
    if (v.field[0] !== name) continue;
    if (v.kind === 'contains') all.push(v.substring);
    else if (v.kind === 'literal') {
      all.push(...v.literals);
      for (const l of v.literals) literals.add(l);
    }
  }
  const found = { separator: separator(all), literals };
  byField.set(name, found);
  return found;
}

/** A character none of `constants` has: joining substrings with it creates no other constant. */
export function separator(constants: readonly string[]): string {
  for (const c of [' ', '\n', '|', '~', '\u00b7']) if (!constants.some((k) => k.includes(c))) return c;
  for (let code = 0x2000; ; code++) {
    const c = String.fromCharCode(code);
    if (!constants.some((k) => k.includes(c))) return c;
  }
}

/**
 * A string meeting a path's constraints on one field, or undefined when they contradict each
 * other (which the consistency diagram rules out). The required substrings joined by a
 * separator no constant has contain exactly the constants inside one of them.
 */
function textValue(t: TextConstraints, constants: FieldConstants): string | undefined {
  const sep = constants.separator;
  const ok = (value: string): boolean =>
    !t.forbidden.some((f) => value.includes(f)) && t.required.every((r) => value.includes(r)) && !(t.notLiteral && constants.literals.has(value));
  if (t.literal !== undefined) return ok(t.literal) ? t.literal : undefined;
  const readable = t.required.length > 0 ? t.required.join(' ') : t.sizes.length > 0 ? '…' : 'hello';
  const joined = t.required.join(sep);
  // Appending the separator makes the value differ from every literal (none has it).
  return [readable, joined, `${joined}${sep}`].find(ok);
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
