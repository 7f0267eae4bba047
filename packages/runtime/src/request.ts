// Request validation and normalisation: an untrusted object in, either a normalised
// request (defaults applied, classifiers run) or one structured error per bad field.
// Never throws, never reads inherited properties, never writes to a prototype.

import { classifyLexically, type ExternClassifier } from './classify.js';
import type { Classifier, Field, FieldType, Value } from './ir.js';
import { MemberIndex } from './members.js';
import { NormalizedRequest, type TokenCounter } from './values.js';

/** Why a request field was refused. */
export type RequestErrorCode =
  | 'not_an_object'
  | 'unknown_field'
  | 'missing_field'
  | 'wrong_type'
  | 'not_finite'
  | 'out_of_range'
  | 'not_a_member'
  | 'too_long'
  | 'classifier_failed'
  | 'no_rule_matched'
  | 'unknown_route'
  | 'unknown_model'
  | 'internal_error';

export interface RequestError {
  /** The field, or "" for the request as a whole. */
  readonly field: string;
  readonly code: RequestErrorCode;
  readonly message: string;
}

export interface RequestLimits {
  /** The longest `text` value accepted, in characters (default 1,000,000). */
  readonly maxTextLength: number;
  /** The longest `string` value accepted (default 10,000). */
  readonly maxStringLength: number;
  /** The most items in a list field (default 1,000). */
  readonly maxListLength: number;
}

export const DEFAULT_LIMITS: RequestLimits = { maxTextLength: 1_000_000, maxStringLength: 10_000, maxListLength: 1_000 };

export interface RequestContext {
  readonly fields: readonly Field[];
  /** The names of `fields` (precomputed: building it per request would dominate the cost). */
  readonly declared: ReadonlySet<string>;
  /** Field name → index in `fields`. */
  readonly slots: ReadonlyMap<string, number>;
  /** One validator per field (see `fieldChecks`). */
  readonly checks: readonly FieldCheck[];
  /**
   * Per field, the test a well-formed value passes unchanged (see `fieldAccepts`): such a
   * value is taken without calling its check. Absent: every value goes through its check.
   */
  readonly accepts?: readonly FieldAccept[];
  readonly classifiers: ReadonlyMap<string, Classifier>;
  readonly externClassifiers: Readonly<Record<string, ExternClassifier>>;
  readonly countTokens: TokenCounter;
  readonly limits: RequestLimits;
}

export type RequestResult = { ok: true; request: NormalizedRequest } | { ok: false; errors: RequestError[] };

const hasOwn = (o: object, k: string): boolean => Object.hasOwn(o, k);
/** Captured at load: a later change to Object.prototype cannot alter the check. */
const ownProperty = Object.prototype.hasOwnProperty;

function describe(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'a list';
  if (typeof value === 'number' && Number.isNaN(value)) return 'NaN';
  if (typeof value === 'string') return value.length > 40 ? `a string of ${value.length} characters` : JSON.stringify(value);
  return typeof value === 'object' ? 'an object' : String(value);
}

/** A validator per field, compiled once per policy: the value, or the error. */
export type FieldCheck = (raw: unknown) => Checked;

/** Builds the per-field validators of a policy (closures, no code generation). */
export function fieldChecks(fields: readonly Field[], limits: RequestLimits): FieldCheck[] {
  return fields.map((field) => checker(field.name, field.type, limits));
}

/**
 * What a well-formed value of a field looks like, as data the validation loop tests inline
 * (no call): `kind` 0 is "no such test" (lists, durations: the check decides), 1 a boolean,
 * 2 a string of at most `max` characters, 3 a member of `members`, 4 a number in [min, max]
 * (whole when `integer`). Exactly the values the field's check returns unchanged.
 */
export interface FieldAccept {
  readonly kind: 0 | 1 | 2 | 3 | 4;
  readonly min: number;
  readonly max: number;
  readonly integer: boolean;
  readonly members: MemberIndex | undefined;
}

/** Builds the per-field accepting tests of a policy (see `FieldAccept`). */
export function fieldAccepts(fields: readonly Field[], limits: RequestLimits): FieldAccept[] {
  return fields.map((field): FieldAccept => {
    const none = { min: 0, max: 0, integer: false, members: undefined };
    const type = field.type;
    switch (type.kind) {
      case 'bool':
        return { ...none, kind: 1 };
      case 'text':
      case 'string':
        return { ...none, kind: 2, max: type.kind === 'text' ? limits.maxTextLength : limits.maxStringLength };
      case 'enum':
        return { ...none, kind: 3, members: new MemberIndex(type.members) };
      case 'int':
      case 'tokens':
      case 'number':
      case 'money':
      case 'percent': {
        const rule =
          type.kind === 'int' ? WHOLE : type.kind === 'tokens' ? COUNT : type.kind === 'number' ? ANY : type.kind === 'money' ? NON_NEGATIVE : PERCENT;
        return { kind: 4, min: rule.min ?? Number.NEGATIVE_INFINITY, max: rule.max ?? Number.POSITIVE_INFINITY, integer: rule.integer, members: undefined };
      }
      default:
        return { ...none, kind: 0 };
    }
  });
}

/** How many fields after the previous key's the validation loop compares a key with before asking the Map. */
const LOOK_AHEAD = 4;

/** Whether `raw` passes field `f`'s accepting test (its check would return it unchanged). */
function accepted(f: FieldAccept, raw: unknown): boolean {
  switch (f.kind) {
    case 1:
      return typeof raw === 'boolean';
    case 2:
      return typeof raw === 'string' && raw.length <= f.max;
    case 3:
      return (f.members as MemberIndex).indexOf(raw) >= 0;
    case 4:
      return typeof raw === 'number' && (f.integer ? Number.isSafeInteger(raw) : Number.isFinite(raw)) && raw >= f.min && raw <= f.max;
    default:
      return false;
  }
}

/** Validates and normalises `input` against the policy's input fields. */
export function normalizeRequest(input: unknown, ctx: RequestContext): RequestResult {
  const out = normalized(input, ctx);
  return out instanceof NormalizedRequest ? { ok: true, request: out } : { ok: false, errors: out };
}

/** `normalizeRequest` without the result object: the request, or its errors (what `decide()` takes on its hot path). */
export function normalized(input: unknown, ctx: RequestContext): NormalizedRequest | RequestError[] {
  if (typeof input !== 'object' || input === null || Array.isArray(input)) {
    return [{ field: '', code: 'not_an_object', message: `a request is an object of fields, not ${describe(input)}` }];
  }
  let errors: RequestError[] | undefined;
  const record = input as Record<string, unknown>;
  const values: (Value | undefined)[] = new Array(ctx.fields.length);
  // One pass over the request's own enumerable keys, in Object.keys order (inherited
  // properties are never read). for-in with hasOwnProperty.call is the form V8 turns into a
  // walk of the object's own keys: no array of keys per request.
  const fields = ctx.fields;
  const accepts = ctx.accepts;
  // Requests mostly list their fields in declaration order: a key is first looked for among
  // the few fields just after the previous one (comparisons of interned strings; a bounded
  // scan, so keys in another order cost a Map lookup each, never a scan of every field).
  let next = 0;
  for (const key in record) {
    if (!ownProperty.call(record, key)) continue;
    let slot: number | undefined;
    const ahead = Math.min(fields.length, next + LOOK_AHEAD);
    for (let s = next; s < ahead; s++) {
      if ((fields[s] as Field).name === key) {
        slot = s;
        break;
      }
    }
    if (slot === undefined) slot = ctx.slots.get(key);
    if (slot === undefined) {
      errors ??= [];
      errors.push({ field: key, code: 'unknown_field', message: `\`${key}\` is not a field of this policy` });
      continue;
    }
    next = slot + 1;
    const raw = record[key];
    if (raw === undefined || raw === null) continue; // treated as absent
    if (accepts !== undefined && accepted(accepts[slot] as FieldAccept, raw)) {
      values[slot] = raw as Value;
      continue;
    }
    const checked = (ctx.checks[slot] as FieldCheck)(raw);
    if (isError(checked)) {
      errors ??= [];
      errors.push(checked);
    } else values[slot] = checked;
  }
  let pending: Field[] | undefined;
  for (let i = 0; i < ctx.fields.length; i++) {
    if (values[i] !== undefined) continue;
    const field = ctx.fields[i] as Field;
    if (errors?.some((e) => e.field === field.name)) continue;
    if (field.default !== undefined) values[i] = field.default;
    else if (field.classifier !== undefined) {
      pending ??= [];
      pending.push(field);
    } else {
      errors ??= [];
      errors.push({ field: field.name, code: 'missing_field', message: `\`${field.name}\` is required (it has no default)` });
    }
  }
  // Classifiers run only for fields the caller left out, once their input text is valid.
  if (pending)
    for (const field of pending) {
      const classifier = ctx.classifiers.get(field.classifier as string);
      if (classifier && errors?.some((e) => e.field === classifier.target)) continue; // reported on its text field
      const text = classifier ? values[ctx.slots.get(classifier.target) ?? -1] : undefined;
      if (!classifier || typeof text !== 'string') {
        errors ??= [];
        errors.push({ field: field.name, code: 'missing_field', message: `\`${field.name}\` is missing and its classifier has no text to read` });
        continue;
      }
      const label = classifyField(field, classifier, text, ctx.externClassifiers);
      if (typeof label !== 'string') {
        errors ??= [];
        errors.push(label);
        continue;
      }
      values[ctx.slots.get(field.name) ?? -1] = label;
    }
  if (errors) return sortByField(errors, ctx);
  return new NormalizedRequest(values, ctx.slots, ctx.countTokens);
}

/** Unknown fields first (in request order), then declared fields in declaration order. */
function sortByField(errors: RequestError[], ctx: RequestContext): RequestError[] {
  const rank = (e: RequestError): number => ctx.slots.get(e.field) ?? -1;
  return errors
    .map((e, i) => ({ e, i }))
    .sort((a, b) => rank(a.e) - rank(b.e) || a.i - b.i)
    .map((x) => x.e);
}

/**
 * The label `classifier` gives `text` for `field` — a member of the field's enum — or the
 * error to report on the field. Shared by `normalizeRequest` and compiled modules' hosts.
 */
export function classifyField(field: Field, classifier: Classifier, text: string, externs: Readonly<Record<string, ExternClassifier>>): string | RequestError {
  const label = runClassifier(classifier, text, externs);
  if ('error' in label) return { field: field.name, code: 'classifier_failed', message: label.error };
  const members = field.type.kind === 'enum' ? field.type.members : [];
  if (!members.includes(label.value)) {
    return {
      field: field.name,
      code: 'classifier_failed',
      message: `classifier \`${classifier.name}\` returned \`${label.value}\`, which is not a member of \`${field.name}\``,
    };
  }
  return label.value;
}

function runClassifier(classifier: Classifier, text: string, externs: Readonly<Record<string, ExternClassifier>>): { value: string } | { error: string } {
  if (classifier.extern === undefined) {
    const label = classifyLexically(classifier, text);
    return label === undefined ? { error: `classifier \`${classifier.name}\` matched no label and has no default` } : { value: label };
  }
  const fn = hasOwn(externs, classifier.extern) ? externs[classifier.extern] : undefined;
  if (typeof fn !== 'function') return { error: `no host classifier \`${classifier.extern}\` was given to the router` };
  try {
    const label = fn(text);
    return typeof label === 'string' ? { value: label } : { error: `host classifier \`${classifier.extern}\` returned ${describe(label)}, not a label` };
  } catch (error) {
    return { error: `host classifier \`${classifier.extern}\` failed: ${error instanceof Error ? error.message : String(error)}` };
  }
}

const DURATION = /^([0-9]+(?:\.[0-9]+)?)(ms|s|m|h)$/;
const DURATION_SCALE: Record<string, number> = { ms: 1, s: 1_000, m: 60_000, h: 3_600_000 };

/** A checked value, or the error (an object that is not a list, unlike every `Value`). */
type Checked = Value | RequestError;

function wrongType(name: string, expected: string, raw: unknown): RequestError {
  return { field: name, code: 'wrong_type', message: `\`${name}\` must be ${expected}, not ${describe(raw)}` };
}

function isError(c: Checked): c is RequestError {
  return typeof c === 'object' && !Array.isArray(c);
}

/**
 * The validator of one field, specialised for its type once, at load: on the request path
 * each value costs the checks of its own type and nothing else (there is no second, slower
 * copy of the rules to fall back to).
 */
function checker(name: string, type: FieldType, limits: RequestLimits): FieldCheck {
  switch (type.kind) {
    case 'bool':
      return (raw) => (typeof raw === 'boolean' ? raw : wrongType(name, 'true or false', raw));
    case 'text':
    case 'string': {
      const max = type.kind === 'text' ? limits.maxTextLength : limits.maxStringLength;
      return (raw) => {
        if (typeof raw !== 'string') return wrongType(name, 'a string', raw);
        if (raw.length > max) return { field: name, code: 'too_long', message: `\`${name}\` has ${raw.length} characters; at most ${max} are accepted` };
        return raw;
      };
    }
    case 'enum': {
      const members = new Set(type.members);
      const listed = type.members.join(', ');
      return (raw) => {
        if (typeof raw !== 'string') return wrongType(name, `one of ${listed}`, raw);
        return members.has(raw) ? raw : { field: name, code: 'not_a_member', message: `\`${name}\` must be one of ${listed}, not ${describe(raw)}` };
      };
    }
    case 'list': {
      const members = type.element.kind === 'enum' ? new Set(type.element.members) : undefined;
      const listed = type.element.kind === 'enum' ? type.element.members.join(', ') : '';
      return (raw) => {
        if (!Array.isArray(raw)) return wrongType(name, 'a list of strings', raw);
        if (raw.length > limits.maxListLength)
          return { field: name, code: 'too_long', message: `\`${name}\` has ${raw.length} items; at most ${limits.maxListLength} are accepted` };
        const items: string[] = [];
        for (const item of raw) {
          if (typeof item !== 'string') return wrongType(name, 'a list of strings', raw);
          if (members && !members.has(item))
            return { field: name, code: 'not_a_member', message: `\`${name}\` holds ${describe(item)}, which is not one of ${listed}` };
          items.push(item);
        }
        return items;
      };
    }
    case 'duration':
      return (raw) => {
        if (typeof raw !== 'string') return number(name, raw, NON_NEGATIVE);
        const m = DURATION.exec(raw);
        if (!m) return wrongType(name, 'a duration in milliseconds or a string such as "2s"', raw);
        return Number(m[1]) * (DURATION_SCALE[m[2] as string] as number);
      };
    case 'int':
      return (raw) => number(name, raw, WHOLE);
    case 'tokens':
      return (raw) => number(name, raw, COUNT);
    case 'number':
      return (raw) => number(name, raw, ANY);
    case 'money':
      return (raw) => number(name, raw, NON_NEGATIVE);
    case 'percent':
      return (raw) => number(name, raw, PERCENT);
  }
}

/** What a numeric type accepts. */
interface NumberRule {
  readonly min?: number;
  readonly max?: number;
  readonly integer: boolean;
}
const WHOLE: NumberRule = { integer: true };
const COUNT: NumberRule = { min: 0, integer: true };
const ANY: NumberRule = { integer: false };
const NON_NEGATIVE: NumberRule = { min: 0, integer: false };
const PERCENT: NumberRule = { min: 0, max: 100, integer: false };

function number(name: string, raw: unknown, rule: NumberRule): Checked {
  if (typeof raw !== 'number') return wrongType(name, rule.integer ? 'a whole number' : 'a number', raw);
  if (!Number.isFinite(raw)) return { field: name, code: 'not_finite', message: `\`${name}\` must be a finite number, not ${describe(raw)}` };
  if (rule.integer && !Number.isSafeInteger(raw)) return wrongType(name, 'a whole number', raw);
  if ((rule.min !== undefined && raw < rule.min) || (rule.max !== undefined && raw > rule.max)) {
    const range = rule.max !== undefined ? `from ${rule.min ?? '-∞'} to ${rule.max}` : `at least ${rule.min}`;
    return { field: name, code: 'out_of_range', message: `\`${name}\` must be ${range}, not ${raw}` };
  }
  return raw;
}
