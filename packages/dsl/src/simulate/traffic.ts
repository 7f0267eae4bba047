// Sample traffic for any policy (`routelang traffic POLICY`): requests shaped like
// production traffic and aimed at what the policy decides on. Fields and enums are read from
// the policy's `input`; the values come from the regions its conditions cut (every threshold
// is crossed, every literal and `contains` constant appears), with skew where real traffic
// has it: mostly short prompts with a long tail, a few big tenants and many small ones, the
// first enum members most common, defaults and classifiers often left to apply. A small share
// of lines is damaged the way real logs are (cut off mid-write, a misspelt field, an unknown
// enum member), so reports show what invalid traffic looks like. Deterministic per seed.

import { DEFAULT_LIMITS, type Value, type Variable } from '@routelang/runtime';
import type { FieldInfo, Policy } from '../check/policy.js';
import type { Type } from '../check/types.js';
import type { Diagrams } from '../graph/diagram.js';
import { promptOfTokens } from '../testing.js';
import { seededRandom } from './simulate.js';

/** What `generateTraffic` makes. */
export interface TrafficOptions {
  /** Requests to generate (default 5,000). */
  readonly count?: number;
  /** The random seed (default 1): the same seed gives the same lines. */
  readonly seed?: number;
  /** The share of damaged lines, 0–1 (default 0.002). */
  readonly invalid?: number;
}

// Each of these words, with its leading space, is one token in the GPT tokenizers (o200k and
// cl100k split on spaces first, and all of them are in the vocabulary), so a text of N words
// has about N tokens; past LARGE, `promptOfTokens`'s letters, 2 characters a token.
const WORDS = (
  'the customer account order invoice payment refund shipping delivery product service issue error report meeting ' +
  'quarter revenue growth team project deadline contract clause policy claim coverage premium patient dosage study ' +
  'result data table column value function module request response latency database query index cache server ' +
  'deploy build release version change update please could you would help me with this that about from for and'
).split(' ');

/** Sizes above this many tokens are rare in generated traffic (the lines are large). */
const LARGE = 20_000;
/** No generated text is longer than the runtime accepts (large ones are letters, 2 characters a token). */
const MAX_CHARS = DEFAULT_LIMITS.maxTextLength;
const MAX_TOKENS = Math.floor(MAX_CHARS / 2) - 1_000;

type Random = () => number;

/** Index in [0, n) skewed to the start (Zipf-like): a few common values, a long tail. */
const skewed = (random: Random, n: number): number => Math.min(n - 1, Math.floor(n * random() ** 2.2));
const oneOf = <T>(random: Random, xs: readonly T[]): T => xs[Math.floor(random() * xs.length)] as T;

/** What the policy's conditions test on one field. */
interface FieldTests {
  /** Representative values of the regions the conditions cut (numbers), by part (`` for the value). */
  readonly points: Map<string, number[]>;
  readonly literals: string[];
  readonly substrings: string[];
  readonly members: string[];
}

function testsByField(diagrams: Diagrams): Map<string, FieldTests> {
  const out = new Map<string, FieldTests>();
  for (const spec of diagrams.vars) {
    const v: Variable = spec.variable;
    const [name, part = ''] = v.field as [string, string | undefined];
    let t = out.get(name);
    if (!t) {
      t = { points: new Map(), literals: [], substrings: [], members: [] };
      out.set(name, t);
    }
    if (v.kind === 'interval') {
      const points = t.points.get(part) ?? [];
      for (const r of spec.representatives) if (typeof r === 'number' && Number.isFinite(r)) points.push(r);
      t.points.set(part, points);
    } else if (v.kind === 'literal') t.literals.push(...v.literals);
    else if (v.kind === 'contains') t.substrings.push(v.substring);
    else if (v.kind === 'member') t.members.push(v.literal);
  }
  return out;
}

/** A prompt-like text of about `tokens` tokens (or `chars` characters), with the given phrases in it. */
function text(random: Random, size: { tokens?: number; chars?: number }, phrases: readonly string[]): string {
  const words: string[] = [];
  if (size.chars !== undefined) {
    for (let length = 0; length < size.chars; length += words[words.length - 1]?.length ?? 0) words.push(` ${oneOf(random, WORDS)}`);
  } else {
    const wanted = Math.max(1, Math.round(size.tokens ?? 20));
    // A document of words, or past LARGE a filler of letters that stays under the runtime's limit.
    if (wanted > LARGE) words.push(` ${promptOfTokens(wanted)}`);
    else for (let i = 0; i < wanted; i++) words.push(` ${oneOf(random, WORDS)}`);
  }
  const plain = words.join('').slice(1);
  if (phrases.length === 0) return size.chars !== undefined ? plain.slice(0, size.chars) : plain;
  // Each phrase at a random place, as words of its own.
  const parts = plain.split(' ');
  for (const p of phrases) parts.splice(Math.floor(random() * (parts.length + 1)), 0, p);
  return parts.join(' ');
}

/** A natural prompt size in tokens: mostly short, a long tail of documents. */
function naturalTokens(random: Random): number {
  const r = random();
  const [lo, hi] = r < 0.7 ? [7, 130] : r < 0.92 ? [130, 770] : r < 0.98 ? [770, 3_300] : [3_300, 13_000];
  return Math.floor(lo + random() * (hi - lo));
}

/** How many distinct values an identity field has, sized like real ones: many users, fewer tenants. */
const populationSize = (name: string): number => (/user|session|request/.test(name) ? 2_000 : /tenant|org|team|account/.test(name) ? 60 : 50);

/** A value for one field, or undefined to leave it out (its default or classifier applies). */
function fieldValue(random: Random, name: string, field: FieldInfo, tests: FieldTests | undefined): Value | undefined {
  if ((field.default !== undefined && random() < 0.25) || (field.classifier !== undefined && random() < 0.8)) return undefined;
  return valueOfType(random, name, field.type, tests);
}

function valueOfType(random: Random, name: string, type: Type, tests: FieldTests | undefined): Value | undefined {
  const points = tests?.points.get('') ?? [];
  switch (type.kind) {
    case 'bool':
      return random() < 0.15;
    case 'enum':
      return type.members[skewed(random, type.members.length)];
    case 'text': {
      const phrases = (tests?.substrings ?? []).filter(() => random() < 0.2);
      const tokenPoints = (tests?.points.get('tokens') ?? []).filter((p) => p <= MAX_TOKENS && (p <= LARGE || random() < 0.05));
      const charPoints = (tests?.points.get('chars') ?? []).filter((p) => p <= MAX_CHARS && (p <= LARGE * 4 || random() < 0.05));
      if (tokenPoints.length > 0 && random() < 0.3) return text(random, { tokens: oneOf(random, tokenPoints) }, phrases);
      if (charPoints.length > 0 && random() < 0.3) return text(random, { chars: oneOf(random, charPoints) }, phrases);
      return text(random, { tokens: naturalTokens(random) }, phrases);
    }
    case 'string': {
      const literals = tests?.literals ?? [];
      if (literals.length > 0 && random() < 0.4) return oneOf(random, literals);
      // A skewed population: a few big tenants (users, teams…) and a long tail.
      return `${name}-${skewed(random, populationSize(name)) + 1}`;
    }
    case 'list': {
      const element = type.element;
      const pool = [...new Set([...(tests?.members ?? []), ...(element.kind === 'enum' ? element.members : [])])];
      if (pool.length === 0) return [];
      return pool.filter(() => random() < 0.3);
    }
    case 'int':
    case 'tokens':
      return points.length > 0 && random() < 0.8 ? Math.round(oneOf(random, points)) : Math.floor(random() * 100);
    case 'number':
    case 'money':
    case 'duration':
      return points.length > 0 && random() < 0.8 ? oneOf(random, points) : Math.round(random() * 10_000) / 100;
    case 'percent':
      return points.length > 0 && random() < 0.8 ? oneOf(random, points) : Math.floor(random() * 101);
    default:
      return undefined;
  }
}

/** Damages one line the way real logs are damaged. */
function damage(random: Random, line: string, request: Record<string, Value>, policy: Policy): string {
  const r = random();
  const names = Object.keys(request);
  if (r < 0.4 || names.length === 0) return line.slice(0, Math.floor(line.length / 2)); // cut off mid-write
  const enumField = names.find((n) => policy.fields.get(n)?.type.kind === 'enum');
  if (r < 0.7 && enumField) return JSON.stringify({ ...request, [enumField]: 'unknown' }); // an old enum member
  // A client's typo in a field name.
  const name = oneOf(random, names);
  const typo = name.length > 2 ? `${name.slice(0, 1)}${name.slice(2)}` : `${name}_`;
  const { [name]: value, ...rest } = request;
  return JSON.stringify({ ...rest, [typo]: value });
}

/**
 * `count` requests for the policy, one JSON object per line (JSON Lines), for `routelang
 * simulate`, `diff --traffic` and load tests. `diagrams` are the compiled policy's
 * (`compilePolicy(…).compilation.diagrams`): the regions its conditions cut.
 */
export function generateTraffic(policy: Policy, diagrams: Diagrams, options: TrafficOptions = {}): string[] {
  const random = seededRandom(options.seed ?? 1);
  const tests = testsByField(diagrams);
  const lines: string[] = [];
  const count = options.count ?? 5_000;
  const invalid = options.invalid ?? 0.002;
  for (let i = 0; i < count; i++) {
    const request: Record<string, Value> = {};
    for (const [name, field] of policy.fields) {
      const value = fieldValue(random, name, field, tests.get(name));
      if (value !== undefined) request[name] = value;
    }
    const line = JSON.stringify(request);
    lines.push(random() < invalid ? damage(random, line, request, policy) : line);
  }
  return lines;
}
