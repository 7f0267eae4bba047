// Request validation and normalisation: an untrusted object in, either a normalised
// request (defaults applied, classifiers run) or one structured error per bad field.
// Never throws, never reads inherited properties, never writes to a prototype.

import { classifyLexically, type ExternClassifier } from './classify.js';
import type { Classifier, Field, FieldType, Value } from './ir.js';
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
  readonly classifiers: ReadonlyMap<string, Classifier>;
  readonly externClassifiers: Readonly<Record<string, ExternClassifier>>;
  readonly countTokens: TokenCounter;
  readonly limits: RequestLimits;
}

export type RequestResult = { ok: true; request: NormalizedRequest } | { ok: false; errors: RequestError[] };

const hasOwn = (o: object, k: string): boolean => Object.hasOwn(o, k);

function describe(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'a list';
  if (typeof value === 'number' && Number.isNaN(value)) return 'NaN';
  if (typeof value === 'string') return value.length > 40 ? `a string of ${value.length} characters` : JSON.stringify(value);
  return typeof value === 'object' ? 'an object' : String(value);
}

/** Validates and normalises `input` against the policy's input fields. */
export function normalizeRequest(input: unknown, ctx: RequestContext): RequestResult {
  if (typeof input !== 'object' || input === null || Array.isArray(input)) {
    return { ok: false, errors: [{ field: '', code: 'not_an_object', message: `a request is an object of fields, not ${describe(input)}` }] };
  }
  const errors: RequestError[] = [];
  const record = input as Record<string, unknown>;
  const declared = new Set(ctx.fields.map((f) => f.name));
  for (const key of Object.keys(record)) {
    if (!declared.has(key)) errors.push({ field: key, code: 'unknown_field', message: `\`${key}\` is not a field of this policy` });
  }
  const values = new Map<string, Value>();
  const pending: Field[] = [];
  for (const field of ctx.fields) {
    const raw = hasOwn(record, field.name) ? record[field.name] : undefined;
    if (raw === undefined || raw === null) {
      if (field.default !== undefined) values.set(field.name, field.default);
      else if (field.classifier !== undefined) pending.push(field);
      else errors.push({ field: field.name, code: 'missing_field', message: `\`${field.name}\` is required (it has no default)` });
      continue;
    }
    const checked = checkValue(field.name, field.type, raw, ctx.limits);
    if ('error' in checked) errors.push(checked.error);
    else values.set(field.name, checked.value);
  }
  // Classifiers run only for fields the caller left out, once their input text is valid.
  for (const field of pending) {
    const classifier = ctx.classifiers.get(field.classifier as string);
    const text = classifier ? values.get(classifier.target) : undefined;
    if (classifier && errors.some((e) => e.field === classifier.target)) continue; // reported on its text field
    if (!classifier || typeof text !== 'string') {
      errors.push({ field: field.name, code: 'missing_field', message: `\`${field.name}\` is missing and its classifier has no text to read` });
      continue;
    }
    const label = runClassifier(classifier, text, ctx.externClassifiers);
    if ('error' in label) {
      errors.push({ field: field.name, code: 'classifier_failed', message: label.error });
      continue;
    }
    const members = field.type.kind === 'enum' ? field.type.members : [];
    if (!members.includes(label.value)) {
      errors.push({
        field: field.name,
        code: 'classifier_failed',
        message: `classifier \`${classifier.name}\` returned \`${label.value}\`, which is not a member of \`${field.name}\``,
      });
      continue;
    }
    values.set(field.name, label.value);
  }
  if (errors.length > 0) return { ok: false, errors };
  return { ok: true, request: new NormalizedRequest(values, ctx.countTokens) };
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

type Checked = { value: Value } | { error: RequestError };

function checkValue(name: string, type: FieldType, raw: unknown, limits: RequestLimits): Checked {
  const wrong = (expected: string): Checked => ({
    error: { field: name, code: 'wrong_type', message: `\`${name}\` must be ${expected}, not ${describe(raw)}` },
  });
  switch (type.kind) {
    case 'bool':
      return typeof raw === 'boolean' ? { value: raw } : wrong('true or false');
    case 'text':
    case 'string': {
      if (typeof raw !== 'string') return wrong('a string');
      const max = type.kind === 'text' ? limits.maxTextLength : limits.maxStringLength;
      if (raw.length > max)
        return { error: { field: name, code: 'too_long', message: `\`${name}\` has ${raw.length} characters; at most ${max} are accepted` } };
      return { value: raw };
    }
    case 'enum':
      if (typeof raw !== 'string') return wrong(`one of ${type.members.join(', ')}`);
      return type.members.includes(raw)
        ? { value: raw }
        : { error: { field: name, code: 'not_a_member', message: `\`${name}\` must be one of ${type.members.join(', ')}, not ${describe(raw)}` } };
    case 'list': {
      if (!Array.isArray(raw)) return wrong('a list of strings');
      if (raw.length > limits.maxListLength)
        return { error: { field: name, code: 'too_long', message: `\`${name}\` has ${raw.length} items; at most ${limits.maxListLength} are accepted` } };
      const items: string[] = [];
      for (const item of raw) {
        if (typeof item !== 'string') return wrong('a list of strings');
        if (type.element.kind === 'enum' && !type.element.members.includes(item)) {
          return {
            error: {
              field: name,
              code: 'not_a_member',
              message: `\`${name}\` holds ${describe(item)}, which is not one of ${type.element.members.join(', ')}`,
            },
          };
        }
        items.push(item);
      }
      return { value: items };
    }
    case 'duration': {
      if (typeof raw === 'string') {
        const m = DURATION.exec(raw);
        if (!m) return wrong('a duration in milliseconds or a string such as "2s"');
        return { value: Number(m[1]) * (DURATION_SCALE[m[2] as string] ?? 1) };
      }
      return number(name, raw, { min: 0, integer: false }, wrong);
    }
    case 'int':
      return number(name, raw, { integer: true }, wrong);
    case 'tokens':
      return number(name, raw, { min: 0, integer: true }, wrong);
    case 'number':
      return number(name, raw, { integer: false }, wrong);
    case 'money':
      return number(name, raw, { min: 0, integer: false }, wrong);
    case 'percent':
      return number(name, raw, { min: 0, max: 100, integer: false }, wrong);
  }
}

function number(name: string, raw: unknown, rule: { min?: number; max?: number; integer: boolean }, wrong: (e: string) => Checked): Checked {
  if (typeof raw !== 'number') return wrong(rule.integer ? 'a whole number' : 'a number');
  if (!Number.isFinite(raw)) return { error: { field: name, code: 'not_finite', message: `\`${name}\` must be a finite number, not ${describe(raw)}` } };
  if (rule.integer && !Number.isSafeInteger(raw)) return wrong('a whole number');
  if ((rule.min !== undefined && raw < rule.min) || (rule.max !== undefined && raw > rule.max)) {
    const range = rule.max !== undefined ? `from ${rule.min ?? '-∞'} to ${rule.max}` : `at least ${rule.min}`;
    return { error: { field: name, code: 'out_of_range', message: `\`${name}\` must be ${range}, not ${raw}` } };
  }
  return { value: raw };
}
