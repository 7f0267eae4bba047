// Builds the variables of a policy's decision graphs: one partition variable per field
// path that conditions test (ordered by first use, so fields that top rules test come
// first), then one boolean variable per `contains` substring and per list membership.

import type { Expr, FieldType, Value } from '@routelang/runtime';
import type { VarSpec } from './diagram.js';
import { type Atom, atomsOf, type Bound, boundsFor, describeInterval, intervalRepresentatives, normalizeBounds, type PathType, pathType } from './variables.js';

export interface Partition {
  readonly vars: VarSpec[];
  readonly keys: string[];
}

/**
 * Variables for `conditions`. `extraBounds` adds cuts to number paths (e.g. every model's
 * context window on `prompt.tokens`), so analyses can ask exact questions about them.
 */
export function buildPartition(
  fields: ReadonlyMap<string, FieldType>,
  conditions: readonly Expr[],
  extraBounds: ReadonlyMap<string, number[]> = new Map(),
): Partition {
  const order: string[] = [];
  const atomsByPath = new Map<string, Atom[]>();
  const extras: { key: string; atom: Atom }[] = [];
  for (const condition of conditions) {
    for (const atom of atomsOf(condition)) {
      const key = atom.field.join('.');
      if (atom.op === 'contains' || atom.op === 'member') {
        extras.push({ key: `${key}\u0000${atom.op}\u0000${String(atom.value)}`, atom });
        continue;
      }
      if (!atomsByPath.has(key)) {
        atomsByPath.set(key, []);
        order.push(key);
      }
      (atomsByPath.get(key) as Atom[]).push(atom);
    }
  }
  for (const key of extraBounds.keys()) {
    if (!atomsByPath.has(key)) {
      atomsByPath.set(key, []);
      order.push(key);
    }
  }

  const vars: VarSpec[] = [];
  const keys: string[] = [];
  const added = new Set<string>();
  const addVar = (key: string, spec: VarSpec): void => {
    if (added.has(key)) return;
    added.add(key);
    vars.push(spec);
    keys.push(key);
  };
  // Group the boolean atoms with their field so a field's variables stay together.
  const extrasByField = new Map<string, { key: string; atom: Atom }[]>();
  for (const e of extras) {
    const field = e.atom.field.join('.');
    if (!extrasByField.has(field)) extrasByField.set(field, []);
    (extrasByField.get(field) as { key: string; atom: Atom }[]).push(e);
    if (!atomsByPath.has(field) && !order.includes(field)) order.push(field);
  }
  for (const key of order) {
    const [name, part] = key.split('.') as [string, string | undefined];
    const type = fields.get(name);
    const pt = type ? pathType(type, part) : undefined;
    const atoms = atomsByPath.get(key) ?? [];
    if (pt && atoms.length + (extraBounds.get(key)?.length ?? 0) > 0) {
      const spec = partitionVariable(key, pt, atoms, extraBounds.get(key) ?? []);
      if (spec) addVar(key, spec);
    }
    for (const e of extrasByField.get(key) ?? []) {
      const path = e.atom.field;
      const description = e.atom.op === 'contains' ? `${key} contains ${JSON.stringify(e.atom.value)}` : `${JSON.stringify(e.atom.value)} in ${key}`;
      addVar(e.key, {
        variable:
          e.atom.op === 'contains'
            ? { kind: 'contains', field: [...path], substring: String(e.atom.value) }
            : { kind: 'member', field: [...path], literal: String(e.atom.value) },
        representatives: [false, true],
        fieldKey: key,
        describe: (r) => (r === 1 ? description : `not (${description})`),
      });
    }
  }
  return { vars, keys };
}

function partitionVariable(key: string, type: PathType, atoms: readonly Atom[], extraCuts: readonly number[]): VarSpec | undefined {
  const path = key.split('.');
  switch (type.kind) {
    case 'bool':
      return { variable: { kind: 'bool', field: path }, representatives: [false, true], fieldKey: key, describe: (r) => (r === 1 ? key : `not ${key}`) };
    case 'enum':
      return {
        variable: { kind: 'enum', field: path, members: [...type.members] },
        representatives: [...type.members],
        fieldKey: key,
        describe: (r) => `${key} == ${type.members[r]}`,
      };
    case 'number': {
      const raw: Bound[] = [];
      for (const a of atoms) if (a.op === 'compare' && typeof a.value === 'number' && a.cmp) raw.push(...boundsFor(a.cmp, a.value, type));
      for (const c of extraCuts) raw.push(...boundsFor('<=', c, type));
      const bounds = normalizeBounds(raw, type.min);
      return {
        variable: { kind: 'interval', field: path, bounds },
        representatives: intervalRepresentatives(bounds, type),
        fieldKey: key,
        describe: (r) => describeInterval(key, bounds, r, type.integer),
      };
    }
    case 'string': {
      // A set: a `tenant` field compared with 10,000 literals must not cost 10,000² comparisons.
      const distinct = new Set<string>();
      for (const a of atoms) if (a.op === 'compare' && typeof a.value === 'string') distinct.add(a.value);
      if (distinct.size === 0) return undefined;
      const literals = [...distinct];
      const other = otherString(literals);
      return {
        variable: { kind: 'literal', field: path, literals },
        representatives: [...literals, other] as Value[],
        fieldKey: key,
        describe: (r) =>
          r < literals.length ? `${key} == ${JSON.stringify(literals[r])}` : `${key} is none of ${literals.map((l) => JSON.stringify(l)).join(', ')}`,
      };
    }
    case 'list':
      return undefined;
  }
}

/** A string equal to none of `literals`. */
export function otherString(literals: readonly string[]): string {
  const taken = new Set(literals);
  let candidate = 'other';
  for (let i = 2; taken.has(candidate); i++) candidate = `other-${i}`;
  return candidate;
}
