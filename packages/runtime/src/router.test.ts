// The runtime's contract with its host: bad requests get structured errors per field,
// nothing throws, no prototype is polluted, invalid artifacts are refused at load.

import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import type { PolicyIR } from './ir.js';
import { Router, RouterLoadError } from './router.js';

const words = (text: string): number => text.split(/\s+/).filter(Boolean).length;

/** A small policy, written as IR by hand so this test does not depend on the compiler. */
function policy(): PolicyIR {
  return {
    format: 'routelang/ir@1',
    policy: { name: 't', version: null, source: 't.route' },
    inputs: [
      { name: 'prompt', type: { kind: 'text' } },
      { name: 'risk', type: { kind: 'enum', members: ['low', 'high'] }, default: 'low' },
      { name: 'n', type: { kind: 'int' }, default: 0 },
      { name: 'wait', type: { kind: 'duration' }, default: 1000 },
      { name: 'tags', type: { kind: 'list', element: { kind: 'string' } }, default: [] },
    ],
    models: [
      { name: 'mini', provider: 'p', id: 'mini', inputPrice: 0, outputPrice: 0, context: 1000, deployment: 'cloud', regions: [], tags: [] },
      { name: 'big', provider: 'p', id: 'big', inputPrice: 0, outputPrice: 0, context: 1000, deployment: 'cloud', regions: [], tags: [] },
    ],
    tools: [],
    validators: [],
    classifiers: [],
    routes: [
      {
        name: null,
        rules: [
          {
            condition: { kind: 'compare', op: '==', left: { kind: 'field', path: ['risk'] }, right: { kind: 'value', value: 'high' } },
            text: 'risk == high',
            plan: { kind: 'model', model: 'big' },
            source: { file: 't.route', line: 3, column: 3 },
          },
          {
            condition: { kind: 'compare', op: '>', left: { kind: 'field', path: ['prompt', 'tokens'] }, right: { kind: 'value', value: 3 } },
            text: 'prompt.tokens > 3',
            plan: { kind: 'model', model: 'big' },
            source: { file: 't.route', line: 4, column: 3 },
          },
          { text: 'otherwise', plan: { kind: 'model', model: 'mini' }, source: { file: 't.route', line: 5, column: 3 } },
        ],
        graph: {
          variables: [
            { kind: 'enum', field: ['risk'], members: ['low', 'high'] },
            { kind: 'interval', field: ['prompt', 'tokens'], bounds: [{ at: 4, inclusive: false }] },
          ],
          nodes: [
            { variable: 0, children: [1, -2] },
            { variable: 1, children: [-4, -3] },
          ],
          root: 0,
        },
      },
    ],
    assertions: [],
  };
}

describe('Router.decide', () => {
  const router = Router.loadSync(policy(), words);

  it('decides through the graph and explains rule by rule', () => {
    const d = router.decide({ prompt: 'one two three four five' });
    expect(d.ok && d.rule.index).toBe(1);
    const short = router.decide({ prompt: 'hi', risk: 'low' });
    expect(short.ok && short.first).toBe('mini');
    if (!short.ok) return;
    expect(short.explain().map((s) => s.matched)).toEqual([false, false, true]);
    expect(short.request).toEqual({ prompt: 'hi', risk: 'low', n: 0, wait: 1000, tags: [] });
  });

  it('names every bad field and never throws', () => {
    const d = router.decide({ prompt: 5, risk: 'extreme', n: 1.5, wait: Number.NaN, tags: ['ok', 7], extra: true });
    expect(d.ok).toBe(false);
    if (d.ok) return;
    expect(d.errors.map((e) => [e.field, e.code])).toEqual([
      ['extra', 'unknown_field'],
      ['prompt', 'wrong_type'],
      ['risk', 'not_a_member'],
      ['n', 'wrong_type'],
      ['wait', 'not_finite'],
      ['tags', 'wrong_type'],
    ]);
  });

  it('reports missing required fields', () => {
    const d = router.decide({});
    expect(!d.ok && d.errors).toEqual([{ field: 'prompt', code: 'missing_field', message: '`prompt` is required (it has no default)' }]);
  });

  it('refuses non-objects', () => {
    for (const input of [null, undefined, 42, 'prompt', [], [{ prompt: 'x' }]]) {
      const d = router.decide(input);
      expect(!d.ok && d.errors[0]?.code).toBe('not_an_object');
    }
  });

  it('treats __proto__ and constructor keys as unknown fields and pollutes nothing', () => {
    const hostile = JSON.parse('{"prompt":"x","__proto__":{"polluted":true},"constructor":{"prototype":{"polluted":true}}}');
    const d = router.decide(hostile);
    expect(!d.ok && d.errors.map((e) => e.field)).toEqual(['__proto__', 'constructor']);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    expect(Object.prototype).not.toHaveProperty('polluted');
  });

  it('does not read inherited properties', () => {
    const inherited = Object.create({ prompt: 'from the prototype' });
    const d = router.decide(inherited);
    expect(!d.ok && d.errors[0]?.code).toBe('missing_field');
  });

  it('refuses huge strings instead of tokenizing them', () => {
    const d = router.decide({ prompt: 'x'.repeat(2_000_000) });
    expect(!d.ok && d.errors[0]?.code).toBe('too_long');
  });

  it('accepts durations as strings with units', () => {
    const d = router.decide({ prompt: 'hi', wait: '250ms' });
    expect(d.ok && d.request.wait).toBe(250);
  });

  it('turns a failing host token counter into a structured error', () => {
    const failing = Router.loadSync(policy(), () => {
      throw new Error('tokenizer unavailable');
    });
    const d = failing.decide({ prompt: 'hello' });
    expect(!d.ok && d.errors).toEqual([{ field: '', code: 'internal_error', message: 'the decision failed: tokenizer unavailable' }]);
  });
});

describe('Router.load', () => {
  it('refuses an artifact that fails the schema, listing the problems', async () => {
    const bad = { ...policy(), format: 'routelang/ir@2', models: [{ name: 'x' }] };
    await expect(Router.load(bad, { tokenizer: words })).rejects.toThrow(RouterLoadError);
    try {
      await Router.load(bad, { tokenizer: words });
    } catch (error) {
      const e = error as RouterLoadError;
      expect(e.errors.length).toBeGreaterThan(0);
      expect(e.errors.some((x) => x.path.startsWith('/format'))).toBe(true);
    }
  });

  it('refuses a tampered graph or plan, naming each problem, instead of looping or leaking internals', async () => {
    const tamper = (edit: (ir: PolicyIR) => void): PolicyIR => {
      const ir = policy();
      edit(ir);
      return ir;
    };
    const graph = (ir: PolicyIR) => (ir.routes[0] as { graph: { nodes: { variable: number; children: number[] }[]; root: number } }).graph;
    const cases: [string, PolicyIR, RegExp][] = [
      [
        'a node that is its own child',
        tamper((ir) => {
          (graph(ir).nodes[1] as { children: number[] }).children = [1, -3];
        }),
        /cycle/,
      ],
      [
        'a longer loop',
        tamper((ir) => {
          (graph(ir).nodes[1] as { children: number[] }).children = [0, -3];
        }),
        /cycle/,
      ],
      [
        'a child out of range',
        tamper((ir) => {
          (graph(ir).nodes[0] as { children: number[] }).children = [7, -2];
        }),
        /node 7, but the graph has 2 nodes/,
      ],
      [
        'a rule leaf out of range',
        tamper((ir) => {
          (graph(ir).nodes[0] as { children: number[] }).children = [1, -9];
        }),
        /rule 7, but the route has 3/,
      ],
      [
        'a root out of range',
        tamper((ir) => {
          graph(ir).root = 5;
        }),
        /node 5/,
      ],
      [
        'a variable out of range',
        tamper((ir) => {
          (graph(ir).nodes[0] as { variable: number }).variable = 4;
        }),
        /4, but the graph has 2 variables/,
      ],
      [
        'a node with the wrong number of children',
        tamper((ir) => {
          (graph(ir).nodes[1] as { children: number[] }).children = [-4];
        }),
        /1 children, but its variable has 2 regions/,
      ],
      [
        'a plan naming an undeclared model',
        tamper((ir) => {
          (ir.routes[0]?.rules[0] as { plan: unknown }).plan = { kind: 'model', model: 'ghost' };
        }),
        /model `ghost`/,
      ],
      [
        'an input naming an undeclared classifier',
        tamper((ir) => {
          (ir.inputs[1] as { classifier?: string }).classifier = 'ghost';
        }),
        /classifier `ghost`/,
      ],
      [
        'a plan naming an undeclared route',
        tamper((ir) => {
          (ir.routes[0]?.rules[0] as { plan: unknown }).plan = { kind: 'route', route: 'nowhere' };
        }),
        /route `nowhere`/,
      ],
    ];
    for (const [what, ir, message] of cases) {
      const error = await Router.load(ir, { tokenizer: words }).then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(error, what).toBeInstanceOf(RouterLoadError);
      const problems = (error as RouterLoadError).errors.map((e) => `${e.path} ${e.message}`).join('\n');
      expect(problems, what).toMatch(message);
      expect(problems, what).toMatch(/^\/(routes\/0|inputs\/\d+)\//);
    }
    // The untampered policy loads.
    expect((await Router.load(policy(), { tokenizer: words })).decide({ prompt: 'a' }).ok).toBe(true);
  });

  it('refuses text that is not JSON', async () => {
    await expect(Router.load('{ not json', { tokenizer: words })).rejects.toThrow(/not JSON/);
  });

  it('loads an artifact given as JSON text, with the real tokenizer', async () => {
    const router = await Router.load(JSON.stringify(policy()));
    const d = router.decide({ prompt: 'hello there, this is a longer prompt' });
    expect(d.ok && d.rule.index).toBe(1);
  });

  it('generates no code at run time', () => {
    const source = readFileSync(new URL('./router.ts', import.meta.url), 'utf8') + readFileSync(new URL('./graph.ts', import.meta.url), 'utf8');
    expect(source).not.toMatch(/new Function|\beval\(/);
    const validator = readFileSync(new URL('./generated/validate-ir.js', import.meta.url), 'utf8');
    expect(validator).not.toMatch(/new Function|\beval\(/);
  });
});
