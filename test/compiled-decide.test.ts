// The ahead-of-time compiled decision module against the interpreted `Router.decide()`:
// for random generated policies and every bundled example, the module is emitted, written
// and imported, and two routers — one interpreted, one with `compiled` — decide the same
// random requests, valid and invalid (every wrong kind of value per field, unknown and
// inherited keys, non-objects, values over the limits). Decisions (rules followed, plans,
// models, the normalised request) and errors (codes, messages, order) must be identical.

import { mkdtempSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';
import { routelangText, tenantRules } from '../bench/tenant-policy.js';
import { checkPolicy, compilePolicy } from '../packages/dsl/src/compile.js';
import { emitIR } from '../packages/dsl/src/emit.js';
import { emitDecideModule } from '../packages/dsl/src/emit-js.js';
import { compileRoutes } from '../packages/dsl/src/graph/compile.js';
import { nodeHost } from '../packages/dsl/src/load.js';
import { type CompiledDecide, type PolicyIR, Router, RouterLoadError } from '../packages/runtime/src/index.js';
import { generatePolicy, Rng } from './support/generate.js';
import { randomRequest, wordCount } from './support/requests.js';

const dir = mkdtempSync(join(tmpdir(), 'routelang-aot-'));
let written = 0;

async function compiledModule(ir: PolicyIR): Promise<CompiledDecide> {
  const file = join(dir, `policy-${written++}.decide.mjs`);
  writeFileSync(file, emitDecideModule(ir, 'test'));
  return (await import(pathToFileURL(file).href)) as CompiledDecide;
}

// Small limits, so that random values also cross them.
const LIMITS = { maxTextLength: 400, maxStringLength: 12, maxListLength: 3 };

/** What a decision shows a host, as JSON. */
function shown(router: Router, input: unknown, route?: string): string {
  const d = router.decide(input, route !== undefined ? { route } : {});
  if (!d.ok) return JSON.stringify({ errors: d.errors });
  return JSON.stringify({ rule: d.rule, path: d.path, plan: d.plan, models: d.models, request: d.request });
}

/** Values of every kind, for any field: the wrong ones for each type are among them. */
const ODD: unknown[] = [
  null,
  undefined,
  true,
  false,
  0,
  -1,
  1.5,
  -0.5,
  101,
  2 ** 53,
  Number.NaN,
  Number.POSITIVE_INFINITY,
  '',
  'a',
  'b',
  'alpha',
  '2s',
  '1.5m',
  '250ms',
  '3 s',
  'x'.repeat(13),
  'y'.repeat(401),
  [],
  ['a'],
  ['alpha', 'beta'],
  ['a', 1],
  ['a', 'b', 'c', 'd'],
  {},
  { a: 1 },
];

/** A request bent into shapes a careless or hostile client sends. */
function bend(request: Record<string, unknown>, fields: readonly string[], rng: Rng): unknown {
  const r: Record<string, unknown> = { ...request };
  switch (rng.int(0, 9)) {
    case 0:
      return rng.pick([null, [], 'prompt', 7, true, undefined]);
    case 1:
      r.zz_unknown = 1;
      break;
    case 2: {
      const inherited = Object.create({ [rng.pick(fields)]: rng.pick(ODD) }) as Record<string, unknown>;
      Object.assign(inherited, r);
      return inherited;
    }
    case 3:
      return JSON.parse(`{"__proto__": {"x": 1}, ${JSON.stringify(r).slice(1)}`.replace(', }', '}'));
    case 4:
      delete r[rng.pick(fields)];
      break;
    default:
      for (let k = rng.int(1, 3); k > 0; k--) r[rng.pick(fields)] = rng.pick(ODD);
  }
  return r;
}

async function agree(
  ir: PolicyIR,
  requests: (rng: Rng) => unknown,
  seed: number,
  count: number,
  options: { classifiers?: Record<string, (t: string) => string> } = {},
): Promise<number> {
  const compiled = await compiledModule(ir);
  const interpreted = Router.loadSync(ir, wordCount, { limits: LIMITS, ...options });
  const aot = Router.loadSync(ir, wordCount, { limits: LIMITS, compiled, ...options });
  const rng = new Rng(seed);
  const names = ir.routes.map((r) => r.name).filter((n): n is string => n !== null);
  let compared = 0;
  for (let i = 0; i < count; i++) {
    const input = requests(rng);
    const route = names.length > 0 && rng.chance(0.2) ? rng.pick(names) : undefined;
    const expected = shown(interpreted, input, route);
    const actual = shown(aot, input, route);
    if (actual !== expected) expect({ input, route, actual: JSON.parse(actual) }).toEqual({ input, route, actual: JSON.parse(expected) });
    // The module's own decide(), without the runtime (policies without classifiers).
    if (ir.classifiers.length === 0) {
      const alone = compiled.decide(input, { countTokens: wordCount, limits: LIMITS, ...(route !== undefined ? { route } : {}) });
      const d = interpreted.decide(input, route !== undefined ? { route } : {});
      if (d.ok) {
        const walked = d.path.slice(0, d.path.indexOf(d.rule));
        const via = walked.length > 0 ? { via: walked.map((p) => ({ route: p.route, index: p.index })) } : {};
        expect(alone).toEqual({ ok: true, route: d.rule.route, rule: d.rule.index, ...via });
      } else if (!d.errors.some((e) => e.code === 'no_rule_matched')) expect(alone).toEqual({ ok: false, errors: d.errors });
    }
    compared++;
  }
  return compared;
}

describe('the compiled decide() agrees with the interpreted one', () => {
  it('on 300 random policies × 300 requests, valid and invalid', async () => {
    let compared = 0;
    for (let p = 0; p < 300; p++) {
      const seed = 4242 + p * 7919;
      const generated = generatePolicy(seed, { untidy: false });
      const path = `/virtual/aot-${seed}.route`;
      const checked = checkPolicy(path, nodeHost(new Map([[path, generated.text]])));
      const ir = emitIR(compileRoutes(checked.policy));
      const fields = [...generated.fields.map((f) => f.name), 'prompt'];
      compared += await agree(ir, (rng) => (rng.chance(0.5) ? randomRequest(generated, rng) : bend(randomRequest(generated, rng), fields, rng)), seed, 300);
    }
    expect(compared).toBe(90_000);
  }, 120_000);

  const examples = readdirSync('examples', { withFileTypes: true })
    .filter((d) => d.isDirectory())
    .map((d) => join('examples', d.name, 'policy.route'))
    .filter((f) => {
      try {
        return readdirSync(join(f, '..')).includes('policy.route');
      } catch {
        return false;
      }
    });

  it.each(examples)('on %s', async (file) => {
    const result = compilePolicy(file);
    const ir = result.ir as PolicyIR;
    expect(ir).toBeDefined();
    // Values from the policy itself: enum members, literals and bounds its graphs test.
    const pool = new Map<string, unknown[]>();
    const add = (field: string, values: unknown[]): void => {
      pool.set(field, [...(pool.get(field) ?? []), ...values]);
    };
    for (const f of ir.inputs) {
      if (f.type.kind === 'enum') add(f.name, f.type.members);
      if (f.type.kind === 'list' && f.type.element.kind === 'enum') add(f.name, [f.type.element.members.slice(0, 2), []]);
    }
    for (const route of ir.routes) {
      for (const v of route.graph.variables) {
        const name = v.field[0] as string;
        if (v.kind === 'literal') add(name, v.literals);
        if (v.kind === 'contains') add(name, [`please ${v.substring} now`, 'hello']);
        if (v.kind === 'interval' && v.field.length === 1)
          add(
            name,
            v.bounds.flatMap((b) => [b.at - 1, b.at, b.at + 1]),
          );
        if (v.kind === 'interval' && v.field[1] === 'tokens')
          add(
            name,
            v.bounds.map((b) => Array.from({ length: Math.min(Math.max(b.at, 1), 90) }, () => 'w').join(' ')),
          );
      }
    }
    const fields = ir.inputs.map((f) => f.name);
    const classifiers = Object.fromEntries(
      ir.classifiers.flatMap((c) => (c.extern !== undefined ? [[c.extern, (t: string) => (t.includes('code') ? 'code' : 'chat')]] : [])),
    );
    const make = (rng: Rng): unknown => {
      const r: Record<string, unknown> = {};
      for (const f of ir.inputs) {
        if ((f.default !== undefined || f.classifier !== undefined) && rng.chance(0.3)) continue;
        const values = pool.get(f.name) ?? [];
        r[f.name] = values.length > 0 && rng.chance(0.85) ? rng.pick(values) : rng.pick(ODD);
      }
      return rng.chance(0.7) ? r : bend(r, fields, rng);
    };
    expect(await agree(ir, make, 99, 5_000, { classifiers })).toBe(5_000);
  });
});

describe('a compiled module is refused for another policy', () => {
  it('names the fingerprint that does not match', async () => {
    const a = compilePolicy('examples/support-assistant/policy.route').ir as PolicyIR;
    const b = compilePolicy('examples/governance/policy.route').ir as PolicyIR;
    const compiled = await compiledModule(a);
    let error: unknown;
    try {
      Router.loadSync(b, wordCount, { compiled });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(RouterLoadError);
    expect((error as RouterLoadError).errors.map((p) => p.path)).toEqual(['/compiled/fingerprint']);
  });
});

describe('the compiled module grows with the graph, not with its paths', () => {
  // Inlining a node into more than one branch would copy its subtree once per path to it:
  // exponential on deep graphs. The module's size per distinct edge must stay flat.
  it.each([200, 2_000])('on %i multi-tenant rules', (n) => {
    const path = `/virtual/aot-size-${n}.route`;
    const ir = compilePolicy(path, nodeHost(new Map([[path, routelangText(tenantRules(n))]]))).ir as PolicyIR;
    const edges = ir.routes.reduce((s, r) => s + r.graph.nodes.reduce((t, node) => t + new Set(node.children).size, 0), 0);
    expect(emitDecideModule(ir).length / edges).toBeLessThan(120);
  });
});

describe('enum membership by a table of members (the compiled validate)', () => {
  // The fast path accepts an enum value when a small table holds it at the slot a hash of the
  // value picks. Enums of every size (a table, or the `switch` when no small table separates
  // the members or there are more than 256), requests with members, near misses (one letter
  // changed, a prefix, a longer string) and other strings: accepted exactly when a member.
  it.each([1, 2, 5, 17, 60, 300])('with %i random members', async (count) => {
    const rng = new Rng(count * 31);
    const letters = 'abcdefghijklmnopqrstuvwxyz_0123456789';
    const word = (): string => `${rng.pick([...'abcdefghijklmnopqrstuvwxyz'])}${Array.from({ length: rng.int(0, 9) }, () => rng.pick([...letters])).join('')}`;
    const members = new Set<string>();
    while (members.size < count) members.add(word());
    const list = [...members];
    const path = `/virtual/aot-enum-${count}.route`;
    const text = [
      'policy members',
      'model m { provider = "p" id = "m" price = { input: $1 per 1M, output: $1 per 1M } context = 8k }',
      `input { kind: enum { ${list.join(', ')} } }`,
      'route {',
      `  when kind == ${list[0]} -> m`,
      '  otherwise -> m',
      '}',
    ].join('\n');
    const ir = compilePolicy(path, nodeHost(new Map([[path, text]]))).ir as PolicyIR;
    expect(ir).toBeDefined();
    const near = (m: string): string[] => [m.slice(0, -1), `${m}x`, `${m.slice(0, -1)}${m.endsWith('a') ? 'b' : 'a'}`, m.toUpperCase(), ''];
    expect(await agree(ir, (r) => ({ kind: r.chance(0.5) ? r.pick(list) : r.chance(0.8) ? r.pick(near(r.pick(list))) : r.pick(ODD) }), count, 3_000)).toBe(
      3_000,
    );
    const compiled = await compiledModule(ir);
    for (const m of list) expect(compiled.decide({ kind: m }).ok).toBe(true);
  });
});
