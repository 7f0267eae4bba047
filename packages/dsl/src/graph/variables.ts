// Field partitions: every field's domain is cut into the few regions that the policy's
// constants distinguish (language.md §8). A region has a representative value, so an
// atom (`prompt.tokens < 8k`) is evaluated on a region by evaluating it on that value —
// with the runtime's own comparison, so the graph and `decide()` cannot disagree.

import type { Expr, FieldType, Operand, Value } from '@routelang/runtime';
import type { VarSpec } from './diagram.js';

/** How a field path is typed, for partitioning. */
export type PathType =
  | { readonly kind: 'bool' }
  | { readonly kind: 'enum'; readonly members: readonly string[] }
  | { readonly kind: 'number'; readonly integer: boolean; readonly min: number }
  | { readonly kind: 'string' }
  | { readonly kind: 'list' };

/** The partition type of a field path (`prompt.tokens` is a non-negative integer). */
export function pathType(type: FieldType, part: string | undefined): PathType | undefined {
  if (part !== undefined) {
    if (type.kind === 'text' && (part === 'tokens' || part === 'chars')) return { kind: 'number', integer: true, min: 0 };
    return undefined;
  }
  switch (type.kind) {
    case 'bool':
      return { kind: 'bool' };
    case 'enum':
      return { kind: 'enum', members: type.members };
    case 'int':
      return { kind: 'number', integer: true, min: Number.NEGATIVE_INFINITY };
    case 'tokens':
      return { kind: 'number', integer: true, min: 0 };
    case 'number':
      return { kind: 'number', integer: false, min: Number.NEGATIVE_INFINITY };
    case 'duration':
    case 'money':
    case 'percent':
      return { kind: 'number', integer: false, min: 0 };
    case 'string':
    case 'text':
      return { kind: 'string' };
    case 'list':
      return { kind: 'list' };
  }
}

/** A bound of an interval variable (see `Variable` in the IR). */
export interface Bound {
  readonly at: number;
  readonly inclusive: boolean;
}

/** Bounds that separate the values an atom `v op c` distinguishes. */
export function boundsFor(op: string, c: number, type: PathType & { kind: 'number' }): Bound[] {
  if (type.integer) {
    // Integers need only "< n" cuts with n whole (v <= 4.5 is v < 5), so no region is empty.
    const lt = (n: number): Bound[] => [{ at: n, inclusive: false }];
    switch (op) {
      case '<':
      case '>=':
        return lt(Math.ceil(c));
      case '<=':
      case '>':
        return lt(Math.floor(c) + 1);
      case '==':
      case '!=':
        return Number.isInteger(c) ? [...lt(c), ...lt(c + 1)] : [];
      default:
        return [];
    }
  }
  switch (op) {
    case '<':
    case '>=':
      return [{ at: c, inclusive: false }];
    case '<=':
    case '>':
      return [{ at: c, inclusive: true }];
    case '==':
    case '!=':
      return [
        { at: c, inclusive: false },
        { at: c, inclusive: true },
      ];
    default:
      return [];
  }
}

/** Sorts and de-duplicates bounds, dropping those that every value of the domain lies beyond. */
export function normalizeBounds(bounds: readonly Bound[], min: number): Bound[] {
  const kept = bounds.filter((b) => b.at > min || (b.at === min && b.inclusive));
  kept.sort((a, b) => a.at - b.at || Number(a.inclusive) - Number(b.inclusive));
  const out: Bound[] = [];
  for (const b of kept) {
    const last = out[out.length - 1];
    if (!last || last.at !== b.at || last.inclusive !== b.inclusive) out.push(b);
  }
  return out;
}

/** Representative values of the regions of an interval variable (one more than bounds). */
export function intervalRepresentatives(bounds: readonly Bound[], type: PathType & { kind: 'number' }): number[] {
  const reps: number[] = [];
  for (let i = 0; i <= bounds.length; i++) {
    const below = bounds[i - 1];
    const above = bounds[i];
    const lower = below ? { at: below.at, closed: !below.inclusive } : { at: type.min, closed: true };
    const upper = above ? { at: above.at, closed: above.inclusive } : { at: Number.POSITIVE_INFINITY, closed: false };
    let rep: number;
    if (lower.closed && Number.isFinite(lower.at)) rep = lower.at;
    else if (upper.closed && Number.isFinite(upper.at)) rep = upper.at;
    else if (Number.isFinite(lower.at) && Number.isFinite(upper.at)) rep = (lower.at + upper.at) / 2;
    else if (Number.isFinite(lower.at)) rep = lower.at + 1;
    else if (Number.isFinite(upper.at)) rep = upper.at - 1;
    else rep = 0;
    reps.push(rep);
  }
  return reps;
}

/** Describes region `i` of an interval variable: `8000 ≤ prompt.tokens < 32000`. */
export function describeInterval(name: string, bounds: readonly Bound[], i: number, integer = false): string {
  return describeRange(name, bounds, i, i, integer);
}

/** Describes regions `first` to `last` (consecutive) of an interval variable as one range. */
export function describeRange(name: string, bounds: readonly Bound[], first: number, last: number, integer = false): string {
  const lo = bounds[first - 1];
  const hi = bounds[last];
  if (lo && hi && lo.at === hi.at) return `${name} == ${lo.at}`;
  if (integer && lo && hi && hi.at === lo.at + 1) return `${name} == ${lo.at}`;
  return `${lo ? `${lo.at} ${lo.inclusive ? '<' : '≤'} ` : ''}${name}${hi ? ` ${hi.inclusive ? '≤' : '<'} ${hi.at}` : ''}`;
}

/** A comparison of one field with a constant: what the partitions are cut for. */
export interface Atom {
  readonly field: readonly string[];
  readonly op: 'compare' | 'contains' | 'member' | 'truthy';
  readonly cmp?: string;
  readonly value?: Value;
}

/** `c op field` is `field op' c`. */
export function flip(op: string): string {
  return op === '<' ? '>' : op === '>' ? '<' : op === '<=' ? '>=' : op === '>=' ? '<=' : op;
}

/** Puts the field on the left of a comparison. */
export function orient(left: Operand, right: Operand, op: string): [readonly string[] | undefined, Value | undefined, string] {
  if (left.kind === 'field' && right.kind === 'value') return [left.path, right.value, op];
  if (right.kind === 'field' && left.kind === 'value') return [right.path, left.value, flip(op)];
  return [undefined, undefined, op];
}

/** The atoms of a condition (after `model.*` is replaced by constants). */
export function atomsOf(expr: Expr, out: Atom[] = []): Atom[] {
  switch (expr.kind) {
    case 'const':
      break;
    case 'and':
    case 'or':
      for (const a of expr.args) atomsOf(a, out);
      break;
    case 'not':
      atomsOf(expr.arg, out);
      break;
    case 'implies':
      atomsOf(expr.left, out);
      atomsOf(expr.right, out);
      break;
    case 'truthy':
      if (expr.operand.kind === 'field') out.push({ field: expr.operand.path, op: 'truthy' });
      break;
    case 'compare': {
      const [field, value, op] = orient(expr.left, expr.right, expr.op);
      if (field && value !== undefined) out.push({ field, op: 'compare', cmp: op, value });
      break;
    }
    case 'contains':
      if (expr.left.kind === 'field' && expr.right.kind === 'value') out.push({ field: expr.left.path, op: 'contains', value: expr.right.value });
      break;
    case 'in':
      if (expr.right.kind === 'field' && expr.left.kind === 'value') out.push({ field: expr.right.path, op: 'member', value: expr.left.value });
      break;
  }
  return out;
}

/**
 * A set of regions of one variable, as a condition: consecutive interval regions merge into
 * one range, enum members into a list (the semantic diff and the decision graph's edges).
 */
export function describeRegions(spec: VarSpec, regions: readonly number[]): string {
  const v = spec.variable;
  const key = spec.fieldKey;
  switch (v.kind) {
    case 'bool':
      return regions.length === 2 ? `${key} is anything` : regions[0] === 1 ? key : `not ${key}`;
    case 'enum': {
      const members = regions.map((r) => v.members[r]);
      return members.length === 1 ? `${key} == ${members[0]}` : `${key} in [${members.join(', ')}]`;
    }
    case 'literal': {
      const other = v.literals.length;
      const named = regions.filter((r) => r !== other).map((r) => JSON.stringify(v.literals[r]));
      if (regions.includes(other)) {
        const excluded = v.literals.filter((_, i) => !regions.includes(i)).map((l) => JSON.stringify(l));
        return `${key} not in [${excluded.join(', ')}]`;
      }
      return named.length === 1 ? `${key} == ${named[0]}` : `${key} in [${named.join(', ')}]`;
    }
    case 'interval': {
      // Consecutive regions merge into one range.
      const ranges: [number, number][] = [];
      for (const r of regions) {
        const last = ranges[ranges.length - 1];
        if (last && last[1] === r - 1) last[1] = r;
        else ranges.push([r, r]);
      }
      const text = ranges.map(([lo, hi]) => describeRange(key, v.bounds, lo, hi));
      return text.length === 1 ? (text[0] as string) : `(${text.join(' or ')})`;
    }
    default:
      return regions.length === 1 ? spec.describe(regions[0] as number) : `${key} is anything`;
  }
}
