// A generator of random, well-typed policies, deterministic in a seed. Used by the
// property tests (the checker finds no error in them; the formatter keeps their meaning)
// and by the decision-graph differential test. Layout is randomised: tokens are joined by
// random white space and comments, so the parser and formatter see untidy input.

import { seededRandom } from '../../packages/dsl/src/simulate/simulate.js';

/** A small, fast, seedable PRNG (mulberry32, the simulator's). */
export class Rng {
  private readonly random: () => number;
  constructor(seed: number) {
    this.random = seededRandom(seed);
  }
  next(): number {
    return this.random();
  }
  int(lo: number, hi: number): number {
    return lo + Math.floor(this.next() * (hi - lo + 1));
  }
  pick<T>(items: readonly T[]): T {
    return items[Math.floor(this.next() * items.length)] as T;
  }
  chance(p: number): boolean {
    return this.next() < p;
  }
}

export type GenFieldKind = 'bool' | 'int' | 'number' | 'enum' | 'string' | 'duration' | 'tokens' | 'list';

export interface GenField {
  readonly name: string;
  readonly kind: GenFieldKind;
  readonly members?: readonly string[];
  readonly hasDefault: boolean;
}

export interface GeneratedPolicy {
  readonly text: string;
  readonly fields: readonly GenField[];
  readonly models: readonly string[];
  /** Literals the conditions mention, per field, for request generation. */
  readonly literals: ReadonlyMap<string, (string | number)[]>;
}

export interface GenerateOptions {
  /** Randomise white space and add comments (default true). */
  readonly untidy?: boolean;
  readonly maxRules?: number;
}

const ENUM_MEMBERS = ['a', 'b', 'c', 'd'];
const WORDS = ['alpha', 'beta', 'gamma', 'delta'];

/** Generates a random well-typed policy from `seed`. */
export function generatePolicy(seed: number, options: GenerateOptions = {}): GeneratedPolicy {
  const rng = new Rng(seed);
  const untidy = options.untidy ?? true;
  const kinds: GenFieldKind[] = ['bool', 'int', 'number', 'enum', 'string', 'duration', 'tokens', 'list'];
  const fields: GenField[] = [];
  const fieldCount = rng.int(1, 5);
  for (let i = 0; i < fieldCount; i++) {
    const kind = rng.pick(kinds);
    fields.push({ name: `f${i}`, kind, members: kind === 'enum' ? ENUM_MEMBERS.slice(0, rng.int(2, 4)) : undefined, hasDefault: rng.chance(0.5) } as GenField);
  }
  const models = Array.from({ length: rng.int(1, 4) }, (_, i) => `m${i}`);
  const literals = new Map<string, (string | number)[]>();
  const note = (field: string, value: string | number): void => {
    const list = literals.get(field) ?? [];
    list.push(value);
    literals.set(field, list);
  };

  const t: string[] = []; // tokens; '\n' marks a preferred line break
  const emit = (...parts: string[]): void => {
    t.push(...parts);
  };

  emit('policy', `p${seed & 0xffff}`, '\n');
  emit('input', '{', '\n', 'prompt', ':', 'text', '\n');
  for (const f of fields) {
    emit(f.name, ':');
    switch (f.kind) {
      case 'enum':
        emit('enum', '{', ...(f.members ?? []).flatMap((m, i) => (i === 0 ? [m] : [',', m])), '}');
        if (f.hasDefault) emit('=', (f.members ?? ['a'])[0] as string);
        break;
      case 'list':
        emit('list', '<', 'string', '>');
        if (f.hasDefault) emit('=', '[', '"alpha"', ']');
        break;
      case 'bool':
        emit('bool');
        if (f.hasDefault) emit('=', rng.pick(['true', 'false']));
        break;
      case 'int':
        emit('int');
        if (f.hasDefault) emit('=', String(rng.int(0, 20)));
        break;
      case 'number':
        emit('number');
        if (f.hasDefault) emit('=', rng.pick(['0.5', '1', '2.5']));
        break;
      case 'string':
        emit('string');
        if (f.hasDefault) emit('=', '"alpha"');
        break;
      case 'duration':
        emit('duration');
        if (f.hasDefault) emit('=', `${rng.int(1, 9)}s`);
        break;
      case 'tokens':
        emit('tokens');
        if (f.hasDefault) emit('=', `${rng.int(1, 9)}k`);
        break;
    }
    emit('\n');
  }
  emit('}', '\n');
  for (const m of models) {
    const price = `$${rng.int(0, 20)}`;
    emit(
      'model',
      m,
      '{',
      'provider',
      '=',
      '"p"',
      'id',
      '=',
      `"${m}"`,
      'price',
      '=',
      '{',
      'input',
      ':',
      price,
      'per',
      '1M',
      ',',
      'output',
      ':',
      price,
      'per',
      '1M',
      '}',
    );
    emit(
      'context',
      '=',
      `${rng.pick([8, 32, 128, 200])}k`,
      'deployment',
      '=',
      rng.pick(['cloud', 'on_prem']),
      'tags',
      '=',
      '[',
      rng.pick(['approved', 'beta']),
      ']',
      '}',
      '\n',
    );
  }
  emit('tool', 't0', '{', 'kind', '=', 'search', '}', '\n');
  emit('validator', 'v0', '=', 'extern', '"score"', '\n');

  const atom = (): string[] => {
    const f = rng.pick(fields);
    switch (f.kind) {
      case 'bool':
        return rng.chance(0.2) ? ['true'] : [f.name];
      case 'int': {
        const k = rng.int(0, 20);
        note(f.name, k);
        return [f.name, rng.pick(['==', '!=', '<', '<=', '>', '>=']), String(k)];
      }
      case 'enum': {
        const members = f.members ?? ENUM_MEMBERS;
        if (rng.chance(0.5)) return [f.name, rng.pick(['==', '!=']), rng.pick(members)];
        const chosen = members.filter(() => rng.chance(0.5));
        const list = chosen.length > 0 ? chosen : [members[0] as string];
        return [f.name, ...(rng.chance(0.3) ? ['not', 'in'] : ['in']), '[', ...list.flatMap((m, i) => (i === 0 ? [m] : [',', m])), ']'];
      }
      case 'string': {
        const w = rng.pick(WORDS);
        note(f.name, w);
        if (rng.chance(0.3)) return [f.name, 'contains', `"${w.slice(0, 3)}"`];
        return rng.chance(0.5) ? [f.name, rng.pick(['==', '!=']), `"${w}"`] : [f.name, 'in', '[', `"${w}"`, ',', `"${rng.pick(WORDS)}"`, ']'];
      }
      case 'number': {
        const c = rng.pick([0.5, 1, 2.5, 10]);
        note(f.name, c);
        return [f.name, rng.pick(['==', '!=', '<', '<=', '>', '>=']), String(c)];
      }
      case 'duration': {
        const ms = rng.pick([250, 1000, 2000, 5000]);
        note(f.name, ms);
        return [f.name, rng.pick(['==', '!=', '<', '<=', '>', '>=']), ms % 1000 === 0 ? `${ms / 1000}s` : `${ms}ms`];
      }
      case 'tokens': {
        const k = rng.int(1, 9);
        note(f.name, k * 1000);
        return [f.name, rng.pick(['<', '>', '==']), `${k}k`];
      }
      case 'list': {
        const w = rng.pick(WORDS);
        note(f.name, w);
        return [`"${w}"`, 'in', f.name];
      }
    }
  };
  const promptAtom = (): string[] => {
    if (rng.chance(0.5)) {
      const w = rng.pick(WORDS);
      note('prompt', w);
      return ['prompt', 'contains', `"${w}"`];
    }
    const k = rng.int(1, 9);
    note('prompt.tokens', k * 1000);
    return ['prompt.tokens', rng.pick(['<', '>']), `${k}k`];
  };
  const condition = (depth: number): string[] => {
    const r = rng.next();
    if (depth <= 0 || r < 0.45) return rng.chance(0.15) ? promptAtom() : atom();
    if (r < 0.6) return ['not', ...paren(condition(depth - 1))];
    if (r < 0.75) return [...condition(depth - 1), 'and', ...condition(depth - 1)];
    if (r < 0.9) return [...condition(depth - 1), 'or', ...condition(depth - 1)];
    if (r < 0.95) return [...paren(condition(depth - 1)), 'implies', ...paren(condition(depth - 1))];
    return paren(condition(depth - 1));
  };
  const paren = (c: string[]): string[] => ['(', ...c, ')'];
  const modelList = (n: number): string[] => Array.from({ length: n }, () => rng.pick(models)).flatMap((m, i) => (i === 0 ? [m] : [',', m]));
  const plan = (depth: number): string[] => {
    const r = rng.next();
    if (depth <= 0 || r < 0.35) return [rng.pick(models)];
    if (r < 0.45) return [rng.pick(models), 'with', '{', 'timeout', ':', `${rng.int(1, 30)}s`, ',', 'retries', ':', String(rng.int(0, 3)), '}'];
    if (r < 0.55)
      return [
        ...plan(depth - 1),
        'fallback',
        ...plan(0),
        ...(rng.chance(0.3)
          ? rng.pick([
              ['on', '[', 'timeout', ',', 'rate_limit', ']'],
              ['on', '[', '429', ',', 'client_error', ',', '503', ']'],
            ])
          : []),
      ];
    if (r < 0.65) return ['cascade', '[', ...modelList(rng.int(2, 3)), ']', 'until', 'v0', '>=', rng.pick(['0.5', '0.8', '1'])];
    if (r < 0.72) return ['try', 't0', 'else', ...plan(depth - 1)];
    if (r < 0.8) {
      const a = rng.int(1, 99);
      return ['split', 'by', 'prompt', '{', ...plan(0), ':', `${a}%`, ',', ...plan(0), ':', `${100 - a}%`, '}'];
    }
    if (r < 0.86) return [rng.pick(['fastest', 'cheapest']), '[', ...modelList(2), ']'];
    if (r < 0.9) return ['best', '[', ...modelList(2), ']', 'by', 'v0'];
    if (r < 0.95) return ['deny', '"no"'];
    return ['(', ...plan(depth - 1), ')'];
  };

  emit('route', '{', '\n');
  const rules = rng.int(1, options.maxRules ?? 8);
  for (let i = 0; i < rules; i++) {
    emit('when', ...condition(3), '->', ...plan(2));
    if (rng.chance(0.2)) emit('because', `"rule ${i}"`);
    emit('\n');
  }
  if (rng.chance(0.85)) emit('otherwise', '->', ...plan(2), '\n');
  emit('}', '\n');
  if (rng.chance(0.5)) emit('assert', '"tagged"', ':', 'approved', 'in', 'model.tags', 'or', 'beta', 'in', 'model.tags', '\n');

  return { text: layout(t, rng, untidy), fields, models, literals };
}

function layout(tokens: readonly string[], rng: Rng, untidy: boolean): string {
  let out = '';
  for (const token of tokens) {
    if (token === '\n') {
      if (untidy && rng.chance(0.15)) out += ` // note ${rng.int(0, 99)}`;
      out += untidy && rng.chance(0.1) ? '\n\n' : '\n';
      continue;
    }
    if (out.length > 0 && !out.endsWith('\n')) {
      if (untidy) {
        const r = rng.next();
        out += r < 0.05 ? '\n  ' : r < 0.08 ? ' /* c */ ' : r < 0.1 ? '\t' : ' ';
      } else {
        out += ' ';
      }
    }
    out += token;
  }
  return out;
}
