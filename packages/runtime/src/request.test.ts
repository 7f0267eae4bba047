// Request validation, from the contract (docs/language.md, "Requests are strict"): every
// field type × every wrong kind of value, the boundaries, the normalised values and the
// defaults, as a table. Written from the documented rules, not from the code, so that a
// check that accepts too much (a `bool` that takes anything, a dropped minimum, a duration
// unit divided instead of multiplied) fails here.

import { describe, expect, it } from 'vitest';
import type { FieldType, PolicyIR, Value } from './ir.js';
import { Router } from './router.js';

const LIMITS = { maxTextLength: 10, maxStringLength: 20, maxListLength: 3 };

/** Each type with the values it must accept (and what they normalise to) and refuse (and why). */
const CONTRACT: {
  type: FieldType;
  accept: [unknown, Value][];
  refuse: [unknown, string][];
}[] = [
  {
    type: { kind: 'bool' },
    accept: [
      [true, true],
      [false, false],
    ],
    refuse: [
      ['true', 'wrong_type'],
      [1, 'wrong_type'],
      [0, 'wrong_type'],
      [[], 'wrong_type'],
      [{}, 'wrong_type'],
    ],
  },
  {
    type: { kind: 'int' },
    accept: [
      [0, 0],
      [-5, -5],
      [2 ** 53 - 1, 2 ** 53 - 1],
    ],
    refuse: [
      [1.5, 'wrong_type'],
      ['1', 'wrong_type'],
      [true, 'wrong_type'],
      [Number.NaN, 'not_finite'],
      [Number.POSITIVE_INFINITY, 'not_finite'],
      [2 ** 53, 'wrong_type'],
    ],
  },
  {
    type: { kind: 'tokens' },
    accept: [
      [0, 0],
      [8000, 8000],
    ],
    refuse: [
      [-1, 'out_of_range'],
      [1.5, 'wrong_type'],
      ['8k', 'wrong_type'],
      [Number.NEGATIVE_INFINITY, 'not_finite'],
    ],
  },
  {
    type: { kind: 'number' },
    accept: [
      [-1.5, -1.5],
      [0, 0],
      [1e9, 1e9],
    ],
    refuse: [
      ['1', 'wrong_type'],
      [Number.NaN, 'not_finite'],
      [Number.POSITIVE_INFINITY, 'not_finite'],
      [false, 'wrong_type'],
    ],
  },
  {
    type: { kind: 'duration' },
    accept: [
      [0, 0],
      [1500, 1500],
      [0.5, 0.5],
      ['250ms', 250],
      ['2s', 2000],
      ['1.5s', 1500],
      ['2m', 120_000],
      ['1h', 3_600_000],
    ],
    refuse: [
      [-1, 'out_of_range'],
      ['2 s', 'wrong_type'],
      ['2x', 'wrong_type'],
      ['-2s', 'wrong_type'],
      [true, 'wrong_type'],
      [Number.NaN, 'not_finite'],
    ],
  },
  {
    type: { kind: 'money' },
    accept: [
      [0, 0],
      [1.25, 1.25],
      [1000, 1000],
    ],
    refuse: [
      [-0.01, 'out_of_range'],
      ['$1', 'wrong_type'],
      [Number.POSITIVE_INFINITY, 'not_finite'],
    ],
  },
  {
    type: { kind: 'percent' },
    accept: [
      [0, 0],
      [50.5, 50.5],
      [100, 100],
    ],
    refuse: [
      [100.01, 'out_of_range'],
      [-1, 'out_of_range'],
      ['50%', 'wrong_type'],
    ],
  },
  {
    type: { kind: 'string' },
    accept: [
      ['', ''],
      ['x'.repeat(20), 'x'.repeat(20)],
    ],
    refuse: [
      ['x'.repeat(21), 'too_long'],
      [1, 'wrong_type'],
      [['x'], 'wrong_type'],
      [{}, 'wrong_type'],
    ],
  },
  {
    type: { kind: 'text' },
    accept: [
      ['hello', 'hello'],
      ['x'.repeat(10), 'x'.repeat(10)],
    ],
    refuse: [
      ['x'.repeat(11), 'too_long'],
      [42, 'wrong_type'],
      [true, 'wrong_type'],
    ],
  },
  {
    type: { kind: 'enum', members: ['low', 'high'] },
    accept: [
      ['low', 'low'],
      ['high', 'high'],
    ],
    refuse: [
      ['medium', 'not_a_member'],
      ['LOW', 'not_a_member'],
      [1, 'wrong_type'],
      [['low'], 'wrong_type'],
    ],
  },
  {
    type: { kind: 'list', element: { kind: 'string' } },
    accept: [
      [[], []],
      [
        ['a', 'b', 'c'],
        ['a', 'b', 'c'],
      ],
    ],
    refuse: [
      ['a', 'wrong_type'],
      [[1], 'wrong_type'],
      [['a', 2], 'wrong_type'],
      [['a', 'b', 'c', 'd'], 'too_long'],
      [{}, 'wrong_type'],
    ],
  },
  {
    type: { kind: 'list', element: { kind: 'enum', members: ['eu', 'us'] } },
    accept: [
      [
        ['eu', 'us'],
        ['eu', 'us'],
      ],
    ],
    refuse: [
      [['eu', 'apac'], 'not_a_member'],
      [['EU'], 'not_a_member'],
      [[true], 'wrong_type'],
    ],
  },
];

/** A policy with one field `v` of `type` (and a default when given) and one rule. */
function policyWith(type: FieldType, defaultValue?: Value): PolicyIR {
  return {
    format: 'routelang/ir@1',
    policy: { name: 'contract', version: null, source: 'contract.route' },
    inputs: [{ name: 'v', type, ...(defaultValue !== undefined ? { default: defaultValue } : {}) }],
    models: [{ name: 'm', provider: 'p', id: 'm', inputPrice: 0, outputPrice: 0, context: 1000, deployment: 'cloud', regions: [], tags: [] }],
    tools: [],
    validators: [],
    classifiers: [],
    routes: [
      {
        name: null,
        rules: [{ text: 'otherwise', plan: { kind: 'model', model: 'm' }, source: { file: 'contract.route', line: 1, column: 1 } }],
        graph: { variables: [], nodes: [], root: -2 },
      },
    ],
    assertions: [],
  };
}

const words = (text: string): number => text.split(/\s+/).filter(Boolean).length;

describe('request validation, type by type (the contract as a table)', () => {
  for (const { type, accept, refuse } of CONTRACT) {
    const name = type.kind === 'list' ? `list<${type.element.kind}>` : type.kind;
    // Built inside each test, so coverage per test (mutation testing) sees the validators run.
    const load = () => Router.loadSync(policyWith(type), words, { limits: LIMITS });

    it(`${name}: accepts ${accept.length} values, normalised`, () => {
      const router = load();
      for (const [raw, normalised] of accept) {
        const d = router.decide({ v: raw });
        expect(d.ok, `${name} ${JSON.stringify(raw)}`).toBe(true);
        if (d.ok) expect(d.request.v, `${name} ${JSON.stringify(raw)}`).toEqual(normalised);
      }
    });

    it(`${name}: refuses ${refuse.length} values, naming the field and why`, () => {
      const router = load();
      for (const [raw, code] of refuse) {
        const d = router.decide({ v: raw });
        expect(d.ok, `${name} ${String(raw)}`).toBe(false);
        if (!d.ok)
          expect(
            d.errors.map((e) => [e.field, e.code]),
            `${name} ${String(raw)}`,
          ).toEqual([['v', code]]);
      }
    });
  }
});

describe('absent values and defaults', () => {
  it('an absent, null or undefined field takes its default; without one it is missing', () => {
    const withDefault = Router.loadSync(policyWith({ kind: 'int' }, 7), words, { limits: LIMITS });
    for (const request of [{}, { v: null }, { v: undefined }]) {
      const d = withDefault.decide(request);
      expect(d.ok && d.request.v, JSON.stringify(request)).toBe(7);
    }
    const given = withDefault.decide({ v: 3 });
    expect(given.ok && given.request.v).toBe(3);
    const required = Router.loadSync(policyWith({ kind: 'int' }), words, { limits: LIMITS });
    const d = required.decide({});
    expect(!d.ok && d.errors.map((e) => [e.field, e.code])).toEqual([['v', 'missing_field']]);
  });

  it('a bad value is reported once, not also as missing; unknown fields are named', () => {
    const required = Router.loadSync(policyWith({ kind: 'bool' }), words, { limits: LIMITS });
    const d = required.decide({ v: 'yes', extra: 1 });
    expect(!d.ok && d.errors.map((e) => [e.field, e.code])).toEqual([
      ['extra', 'unknown_field'],
      ['v', 'wrong_type'],
    ]);
  });

  it('every problem is reported: a missing field is not hidden by another field being wrong', () => {
    const ir = policyWith({ kind: 'bool' });
    const two: PolicyIR = { ...ir, inputs: [...ir.inputs, { name: 'w', type: { kind: 'int' } }] };
    const d = Router.loadSync(two, words, { limits: LIMITS }).decide({ v: 'yes' });
    expect(!d.ok && d.errors.map((e) => [e.field, e.code])).toEqual([
      ['v', 'wrong_type'],
      ['w', 'missing_field'],
    ]);
  });

  it('an absent field filled by a classifier is classified from its text, not reported missing', () => {
    const ir = policyWith({ kind: 'text' });
    const classified: PolicyIR = {
      ...ir,
      inputs: [...ir.inputs, { name: 'intent', type: { kind: 'enum', members: ['code', 'chat'] }, classifier: 'by_words' }],
      classifiers: [
        {
          name: 'by_words',
          target: 'v',
          labels: [
            { label: 'code', examples: ['fix code', 'code bug'] },
            { label: 'chat', examples: ['hi there', 'hello you'] },
          ],
          default: 'chat',
        },
      ],
    };
    const router = Router.loadSync(classified, words, { limits: LIMITS });
    const d = router.decide({ v: 'fix code' });
    expect(d.ok && d.request.intent).toBe('code');
    const given = router.decide({ v: 'fix code', intent: 'chat' });
    expect(given.ok && given.request.intent).toBe('chat');
    // No text to read: reported once, on the text field the classifier needs.
    const none = router.decide({});
    expect(!none.ok && none.errors.map((e) => [e.field, e.code])).toEqual([['v', 'missing_field']]);
  });

  it('unknown fields are reported in the order the request gives them', () => {
    const d = Router.loadSync(policyWith({ kind: 'bool' }), words, { limits: LIMITS }).decide({ zeta: 1, alpha: 2, v: true, mid: 3 });
    expect(!d.ok && d.errors.map((e) => e.field)).toEqual(['zeta', 'alpha', 'mid']);
  });

  it('classifiers: an extern one is called, a label outside the enum or no match without a default is an error', () => {
    const ir = policyWith({ kind: 'text' });
    const withClassifier = (classifier: PolicyIR['classifiers'][number]): PolicyIR => ({
      ...ir,
      inputs: [...ir.inputs, { name: 'intent', type: { kind: 'enum', members: ['code', 'chat'] }, classifier: classifier.name }],
      classifiers: [classifier],
    });
    const labels = [
      { label: 'code', examples: ['fix code'] },
      { label: 'chat', examples: ['hi there'] },
    ];
    const extern = withClassifier({ name: 'remote', target: 'v', extern: 'remote', labels });
    const calls: string[] = [];
    const r = Router.loadSync(extern, words, {
      limits: LIMITS,
      classifiers: {
        remote: (text) => {
          calls.push(text);
          return text === 'hi there' ? 'code' : 'weird';
        },
      },
    });
    // The host's classifier decides, even against the examples.
    const d = r.decide({ v: 'hi there' });
    expect(d.ok && d.request.intent).toBe('code');
    expect(calls).toEqual(['hi there']);
    const outside = r.decide({ v: 'fix code' });
    expect(!outside.ok && outside.errors.map((e) => [e.field, e.code])).toEqual([['intent', 'classifier_failed']]);
    // A lexical classifier with no default that matches nothing.
    const lexical = Router.loadSync(withClassifier({ name: 'words', target: 'v', labels }), words, { limits: LIMITS });
    const none = lexical.decide({ v: 'zzz' });
    expect(!none.ok && none.errors.map((e) => [e.field, e.code])).toEqual([['intent', 'classifier_failed']]);
  });
});
