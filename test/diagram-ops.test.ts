// The decision diagrams' operations against brute force: random functions over three small
// enum variables are built with the builder's operations and compared, assignment by
// assignment, with the same functions evaluated directly; the queries (possible regions,
// terminals, terminals within a region, witnesses, leaf regions, reaches, mapTerminals,
// combine) are checked against their definitions over every assignment. Equal functions
// must be the same node (the table is canonical), however they were built.

import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { compilePolicy } from '../packages/dsl/src/compile.js';
import { Diagrams, FALSE, isRuleLeaf, leaf, TRUE, type VarSpec } from '../packages/dsl/src/graph/diagram.js';
import { nodeHost } from '../packages/dsl/src/load.js';

const SIZES = [3, 2, 4];
const vars: VarSpec[] = SIZES.map((n, v) => ({
  variable: { kind: 'enum', field: [`f${v}`], members: Array.from({ length: n }, (_, i) => `m${i}`) },
  representatives: Array.from({ length: n }, (_, i) => `m${i}`),
  fieldKey: `f${v}`,
  describe: (r: number) => `f${v} = m${r}`,
}));
const ASSIGNMENTS: number[][] = [];
for (let a = 0; a < 3; a++) for (let b = 0; b < 2; b++) for (let c = 0; c < 4; c++) ASSIGNMENTS.push([a, b, c]);

/** A function as an expression tree, evaluated directly (leaves are terminals). */
type Fn =
  | { op: 'is'; v: number; r: number }
  | { op: 'atLeast'; v: number; r: number }
  | { op: 'const'; value: boolean }
  | { op: 'not'; f: Fn }
  | { op: 'and' | 'or'; f: Fn; g: Fn }
  | { op: 'ite'; c: Fn; g: Fn; h: Fn };

const fnArb: fc.Arbitrary<Fn> = fc.letrec<{ fn: Fn }>((tie) => ({
  fn: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    fc.integer({ min: 0, max: 2 }).chain((v) => fc.integer({ min: 0, max: (SIZES[v] as number) - 1 }).map((r): Fn => ({ op: 'is', v, r }))),
    fc.integer({ min: 0, max: 2 }).chain((v) => fc.integer({ min: 0, max: (SIZES[v] as number) - 1 }).map((r): Fn => ({ op: 'atLeast', v, r }))),
    fc.boolean().map((value): Fn => ({ op: 'const', value })),
    tie('fn').map((f): Fn => ({ op: 'not', f })),
    fc.tuple(fc.constantFrom('and' as const, 'or' as const), tie('fn'), tie('fn')).map(([op, f, g]): Fn => ({ op, f, g })),
    fc.tuple(tie('fn'), tie('fn'), tie('fn')).map(([c, g, h]): Fn => ({ op: 'ite', c, g, h })),
  ),
})).fn;

function evalFn(f: Fn, a: readonly number[]): boolean {
  switch (f.op) {
    case 'is':
      return a[f.v] === f.r;
    case 'atLeast':
      return (a[f.v] as number) >= f.r;
    case 'const':
      return f.value;
    case 'not':
      return !evalFn(f.f, a);
    case 'and':
      return evalFn(f.f, a) && evalFn(f.g, a);
    case 'or':
      return evalFn(f.f, a) || evalFn(f.g, a);
    case 'ite':
      return evalFn(f.c, a) ? evalFn(f.g, a) : evalFn(f.h, a);
  }
}

function build(d: Diagrams, f: Fn): number {
  switch (f.op) {
    case 'is':
      return d.regionIs(f.v, f.r);
    case 'atLeast':
      return d.regionAtLeast(f.v, f.r);
    case 'const':
      return f.value ? TRUE : FALSE;
    case 'not':
      return d.not(build(d, f.f));
    case 'and':
      return d.and(build(d, f.f), build(d, f.g));
    case 'or':
      return d.or(build(d, f.f), build(d, f.g));
    case 'ite':
      return d.ite(build(d, f.c), build(d, f.g), build(d, f.h));
  }
}

/** Where a diagram ends for an assignment. */
function walk(d: Diagrams, ref: number, a: readonly number[]): number {
  let x = ref;
  while (x >= 0) x = d.kids(x)[a[d.varOf(x)] as number] as number;
  return x;
}

/** A diagram built by a canonical route: one `mk` per assignment prefix (Shannon expansion). */
function canonical(d: Diagrams, truth: (a: number[]) => number): number {
  const go = (v: number, prefix: number[]): number => {
    if (v === SIZES.length) return truth(prefix);
    return d.mk(
      v,
      Array.from({ length: SIZES[v] as number }, (_, r) => go(v + 1, [...prefix, r])),
    );
  };
  return go(0, []);
}

const fresh = (): Diagrams => new Diagrams(vars, ['f0', 'f1', 'f2']);

describe('diagram operations against brute force', () => {
  it('build every function right, and equal functions are the same node', () => {
    fc.assert(
      fc.property(fnArb, fnArb, (f, g) => {
        const d = fresh();
        const [x, y] = [build(d, f), build(d, g)];
        for (const a of ASSIGNMENTS) {
          expect(walk(d, x, a)).toBe(evalFn(f, a) ? TRUE : FALSE);
          expect(walk(d, y, a)).toBe(evalFn(g, a) ? TRUE : FALSE);
        }
        const sameFunction = ASSIGNMENTS.every((a) => evalFn(f, a) === evalFn(g, a));
        expect(x === y).toBe(sameFunction);
        expect(canonical(d, (a) => (evalFn(f, a) ? TRUE : FALSE))).toBe(x);
      }),
      { numRuns: 300, seed: 11 },
    );
  });

  it('answer the queries as their definitions say', () => {
    fc.assert(
      fc.property(fnArb, fnArb, fc.array(fnArb, { minLength: 1, maxLength: 4 }), (f, region, rules) => {
        const d = fresh();
        const r = build(d, region);
        // A multi-terminal diagram: the first rule whose condition holds, as in a route.
        const conds = rules.map((c) => build(d, c));
        let decide = FALSE;
        for (let i = conds.length - 1; i >= 0; i--) decide = d.ite(conds[i] as number, leaf(i), decide);
        const decideAt = (a: readonly number[]): number => {
          const i = rules.findIndex((c) => evalFn(c, a));
          return i < 0 ? FALSE : leaf(i);
        };
        const inRegion = ASSIGNMENTS.filter((a) => evalFn(region, a));
        // terminals, terminalsWithin
        expect([...d.terminals(decide)].sort()).toEqual([...new Set(ASSIGNMENTS.map(decideAt))].sort());
        expect([...d.terminalsWithin(decide, r)].sort()).toEqual([...new Set(inRegion.map(decideAt))].sort());
        // possibleRegions of each variable within the region
        for (let v = 0; v < SIZES.length; v++) {
          expect([...d.possibleRegions(r, v)].sort()).toEqual([...new Set(inRegion.map((a) => a[v] as number))].sort());
        }
        // witness: an assignment in the region, or none when it is empty
        const w = d.witness(r);
        if (inRegion.length === 0) expect(w).toBeUndefined();
        else {
          expect(w).toBeDefined();
          const a = [0, 1, 2].map((v) => w?.get(v) ?? 0);
          // Variables the witness leaves free may take any value: check every completion.
          const free = [0, 1, 2].filter((v) => !w?.has(v));
          const completions = ASSIGNMENTS.filter((b) => [0, 1, 2].every((v) => free.includes(v) || b[v] === a[v]));
          expect(completions.every((b) => evalFn(region, b))).toBe(true);
        }
        // leafRegions: the inputs on which each rule decides
        const leaves = rules.map((_, i) => leaf(i));
        const regions = d.leafRegions(decide, leaves);
        for (const [l, lr] of regions) for (const a of ASSIGNMENTS) expect(walk(d, lr, a) === TRUE).toBe(decideAt(a) === l);
        // reaches, mapTerminals
        const reachesFalse = d.reaches(decide, (t) => t === FALSE);
        for (const a of ASSIGNMENTS) expect(walk(d, reachesFalse, a) === TRUE).toBe(decideAt(a) === FALSE);
        const firstRule = d.mapTerminals(decide, (t) => (t === leaf(0) ? TRUE : FALSE));
        for (const a of ASSIGNMENTS) expect(walk(d, firstRule, a) === TRUE).toBe(decideAt(a) === leaf(0));
        // combine: a pair of terminals, leaf by leaf
        const fx = build(d, f);
        const both = d.combine(decide, fx, (p, q) => (isRuleLeaf(p) && q === TRUE ? TRUE : FALSE));
        for (const a of ASSIGNMENTS) expect(walk(d, both, a) === TRUE).toBe(isRuleLeaf(decideAt(a)) && evalFn(f, a));
        // orElse: f's own terminal where it has one, else g's
        const chained = d.orElse(decide, fx);
        for (const a of ASSIGNMENTS) {
          const own = decideAt(a);
          expect(walk(d, chained, a)).toBe(own !== FALSE ? own : evalFn(f, a) ? TRUE : FALSE);
        }
        // reachable: every node under the root, each once, in order; the terminals under them
        const nodes = d.reachable(decide);
        expect(nodes).toEqual([...new Set(nodes)].sort((p, q) => p - q));
        if (decide >= 0) expect(nodes).toContain(decide);
        for (const n of nodes) for (const k of d.kids(n)) if (k >= 0) expect(nodes).toContain(k);
      }),
      { numRuns: 300, seed: 12 },
    );
  });
});

/**
 * The diagnostics (`CODE@line`) of a policy with models `a` and `b`, the given input fields,
 * and the given route body (its rules start on line 6).
 */
function diagnosticsOf(fields: string, rules: string): string[] {
  const path = '/virtual/policy.route';
  const text = `policy p
model a { provider = "p" id = "a" price = { input: $1 per 1M, output: $1 per 1M } context = 1k }
model b { provider = "p" id = "b" price = { input: $1 per 1M, output: $1 per 1M } context = 1k }
input { prompt: text  ${fields} }
route {
${rules}
}
`;
  const lineOf = (offset: number) => text.slice(0, offset).split('\n').length;
  return compilePolicy(path, nodeHost(new Map([[path, text]]))).diagnostics.map((d) => `${d.code}@${lineOf(d.span.start)}`);
}

// Conditions on constants alone are folded by the diagram builder (`5 > 3`, `"x" in [...]`,
// `true`): each must decide exactly as written. A true one makes the rule take every request
// (the `otherwise` after it is shadowed, RL3002); a false one can never hold (RL3001).
describe('conditions on constants fold to what they say', () => {
  const cases: [string, boolean][] = [
    ['5 > 3', true],
    ['3 > 5', false],
    ['3 >= 3', true],
    ['3 < 3', false],
    ['2 <= 1', false],
    ['2 == 2', true],
    ['2 != 2', false],
    ['5s > 2s', true],
    ['$1 < $2', true],
    ['50% > 60%', false],
    ['"x" == "x"', true],
    ['"x" == "y"', false],
    ['"x" != "y"', true],
    ['"x" in ["x", "y"]', true],
    ['"z" in ["x", "y"]', false],
    ['"z" not in ["x", "y"]', true],
    ['"x" not in ["x", "y"]', false],
    ['"abc" contains "b"', true],
    ['"abc" contains "z"', false],
    ['true', true],
    ['false', false],
    ['not true', false],
    ['not false', true],
  ];
  it.each(cases)('when %s', (condition, holds) => {
    const codes = diagnosticsOf('tier: enum { free, pro } = free', `  when tier == pro and (${condition}) -> a\n  when ${condition} -> a\n  otherwise -> b`);
    expect(
      codes.filter((c) => c.startsWith('RL1') || c.startsWith('RL20')),
      codes.join(' '),
    ).toEqual([]);
    // Line 6 (pro and C) is unsatisfiable when C is false; line 7 (C alone) too; and when C
    // holds, line 8 (otherwise) is shadowed by line 7 (line 6 only by nothing: free remains).
    if (holds) expect(codes.filter((c) => c.startsWith('RL300'))).toEqual(['RL3002@8']);
    else expect(codes.filter((c) => c.startsWith('RL300')).sort()).toEqual(['RL3001@6', 'RL3001@7']);
  });
});

// A constant in a list field (`"beta" in flags`): a variable of its own, true on some requests
// and false on others, so neither rule below is unsatisfiable and only `otherwise` is shadowed.
it('membership of a constant in a list field is a condition some requests meet and others do not', () => {
  expect(diagnosticsOf('flags: list<string> = []', '  when "beta" in flags -> a\n  when not ("beta" in flags) -> b\n  otherwise -> b')).toEqual(['RL3002@8']);
});
