// The types of Routelang values (language.md §4) and the rules for comparing them.
// Units are part of the type: tokens, durations, money and percentages never mix.

import type { MoneyLit, NumberLit } from '../ast.js';

export type Type =
  | { readonly kind: 'bool' }
  | { readonly kind: 'int' }
  | { readonly kind: 'number' }
  | { readonly kind: 'string' }
  | { readonly kind: 'text' }
  | { readonly kind: 'duration' }
  | { readonly kind: 'money' }
  | { readonly kind: 'tokens' }
  | { readonly kind: 'percent' }
  | { readonly kind: 'enum'; readonly name: string; readonly members: readonly string[] }
  | { readonly kind: 'list'; readonly element: Type }
  /** A bare name that is not a field: an enum member (or region, tag, model name) decided by context. */
  | { readonly kind: 'symbol'; readonly name: string }
  /** `model` in an assertion: the model serving the request. */
  | { readonly kind: 'model' }
  /** The type of something already reported as wrong; compatible with everything, to avoid cascades. */
  | { readonly kind: 'error' };

export const T = {
  bool: { kind: 'bool' },
  int: { kind: 'int' },
  number: { kind: 'number' },
  string: { kind: 'string' },
  text: { kind: 'text' },
  duration: { kind: 'duration' },
  money: { kind: 'money' },
  tokens: { kind: 'tokens' },
  percent: { kind: 'percent' },
  model: { kind: 'model' },
  error: { kind: 'error' },
} as const satisfies Record<string, Type>;

/** The scalar type names a field may be declared with. */
export const SCALAR_TYPES: Readonly<Record<string, Type>> = {
  bool: T.bool,
  int: T.int,
  number: T.number,
  string: T.string,
  text: T.text,
  duration: T.duration,
  money: T.money,
  tokens: T.tokens,
  percent: T.percent,
};

/** The unit family of a numeric type; values compare only within one family. */
export type Dimension = 'count' | 'duration' | 'money' | 'percent';

export function dimension(type: Type): Dimension | undefined {
  switch (type.kind) {
    case 'int':
    case 'number':
    case 'tokens':
      return 'count';
    case 'duration':
      return 'duration';
    case 'money':
      return 'money';
    case 'percent':
      return 'percent';
    default:
      return undefined;
  }
}

/** How a type reads in messages: `tokens`, enum `Risk`, `list<string>`. */
export function describeType(type: Type): string {
  switch (type.kind) {
    case 'enum':
      return type.name.startsWith('{') ? `enum ${type.name}` : `enum \`${type.name}\``;
    case 'symbol':
      return `the name \`${type.name}\``;
    case 'error':
      return 'an invalid value';
    default:
      return `\`${typeName(type)}\``;
  }
}

/** A type as it is written in a policy: `tokens`, `Risk`, `list<string>`. */
export function typeName(type: Type): string {
  switch (type.kind) {
    case 'enum':
      return type.name.startsWith('{') ? `enum ${type.name}` : type.name;
    case 'list':
      return `list<${typeName(type.element)}>`;
    case 'symbol':
      return type.name;
    default:
      return type.kind;
  }
}

/** The type of a number as written: `8k` is a count, `2s` a duration, `90%` a percentage. */
export function numberType(lit: NumberLit): Type {
  switch (lit.unit) {
    case 'duration':
      return T.duration;
    case 'percent':
      return T.percent;
    case 'count':
      return T.int;
    default:
      return Number.isInteger(lit.value) ? T.int : T.number;
  }
}

export function moneyType(_lit: MoneyLit): Type {
  return T.money;
}

/** Whether values of these types can be compared with `==`, `!=` or `in` (enum membership is checked separately). */
export function equalityComparable(a: Type, b: Type): boolean {
  if (a.kind === 'error' || b.kind === 'error') return true;
  const da = dimension(a);
  if (da !== undefined) return da === dimension(b);
  if (isStringy(a)) return isStringy(b);
  if (a.kind === 'bool') return b.kind === 'bool';
  if (a.kind === 'enum') return (b.kind === 'enum' && b.name === a.name) || b.kind === 'symbol';
  if (a.kind === 'symbol') return b.kind === 'symbol' || b.kind === 'enum' || b.kind === 'model';
  if (a.kind === 'model') return b.kind === 'symbol' || b.kind === 'model';
  return false;
}

/** Whether `<`, `<=`, `>`, `>=` apply to both types. */
export function orderable(a: Type, b: Type): boolean {
  if (a.kind === 'error' || b.kind === 'error') return true;
  const da = dimension(a);
  return da !== undefined && da === dimension(b);
}

export function isStringy(type: Type): boolean {
  return type.kind === 'string' || type.kind === 'text';
}

/** Whether a value of type `value` may be stored in a field of type `target` (defaults, test inputs). */
export function assignable(value: Type, target: Type): boolean {
  if (value.kind === 'error' || target.kind === 'error') return true;
  switch (target.kind) {
    case 'int':
    case 'tokens':
      return value.kind === 'int';
    case 'number':
      return value.kind === 'int' || value.kind === 'number';
    case 'text':
    case 'string':
      return value.kind === 'string';
    case 'enum':
      return value.kind === 'symbol' || (value.kind === 'enum' && value.name === target.name);
    case 'list':
      return value.kind === 'list' && assignable(value.element, target.element);
    default:
      return value.kind === target.kind;
  }
}
