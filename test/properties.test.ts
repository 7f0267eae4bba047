// Property-based tests (fast-check) of the front end's laws:
// - it never throws, on arbitrary text, on token soup, or on mutations of valid policies;
// - the checker finds no error in generated well-typed policies (no false positives);
// - formatting is idempotent and keeps the parsed meaning (AST equal modulo spans).

import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type * as A from '../packages/dsl/src/ast.js';
import { checkPolicy, compilePolicy } from '../packages/dsl/src/compile.js';
import { format, LINE_WIDTH } from '../packages/dsl/src/format.js';
import { Kw } from '../packages/dsl/src/lexer.js';
import { nodeHost } from '../packages/dsl/src/load.js';
import { parse } from '../packages/dsl/src/parser.js';
import { CONFORMANCE, routeFiles } from './support/fixtures.js';
import { generatePolicy } from './support/generate.js';

/** Every keyword, plus punctuation, literals and broken fragments. */
const VOCABULARY = [
  ...Object.keys(Kw),
  'x',
  'prompt',
  'tokens',
  'm',
  '{',
  '}',
  '[',
  ']',
  '(',
  ')',
  ',',
  ':',
  '.',
  '=',
  '==',
  '!=',
  '<',
  '<=',
  '>',
  '>=',
  '->',
  '"s"',
  '"unterminated',
  '8k',
  '2s',
  '90%',
  '$5',
  '5x',
  '/*',
  '*/',
  '//',
  '\n',
  '@',
  '0.5',
];

/** The AST with positions and layout removed: what "the same meaning" compares. */
function shape(module: A.Module): unknown {
  return JSON.parse(JSON.stringify(module.declarations, (key, value) => (key === 'span' || key === 'keyword' || key === 'opSpan' ? undefined : value)));
}

/** Multiplies every run count: `ROUTELANG_FC_SCALE=20 pnpm vitest run test/properties.test.ts` for a soak. */
const SCALE = Number(process.env.ROUTELANG_FC_SCALE ?? 1);
const runs = (n: number): { numRuns: number } => ({ numRuns: Math.max(1, Math.round(n * SCALE)) });

const validFixtures = routeFiles(join(CONFORMANCE, 'valid')).map((path) => ({ path, text: readFileSync(path, 'utf8') }));

function checkText(path: string, text: string): void {
  checkPolicy(path, nodeHost(new Map([[path, text]])));
}

describe('the front end never throws', () => {
  it('on arbitrary text', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary', maxLength: 400 }), (text) => {
        parse(text, 'arbitrary.route');
        format(text);
      }),
      runs(500),
    );
  });

  it('on token soup', () => {
    fc.assert(
      fc.property(fc.array(fc.constantFrom(...VOCABULARY), { maxLength: 120 }), (tokens) => {
        const text = tokens.join(' ');
        checkText('/virtual/soup.route', text);
        format(text);
      }),
      runs(500),
    );
  });

  it('on mutations of valid policies', () => {
    const mutation = fc.record({
      fixture: fc.nat(validFixtures.length - 1),
      at: fc.nat(),
      length: fc.nat(40),
      insert: fc.constantFrom(...VOCABULARY, ''),
      kind: fc.constantFrom('delete', 'insert', 'replace', 'duplicate', 'truncate'),
    });
    fc.assert(
      fc.property(mutation, ({ fixture, at, length, insert, kind }) => {
        const { path, text } = validFixtures[fixture] as { path: string; text: string };
        const i = at % (text.length + 1);
        const mutated =
          kind === 'delete'
            ? text.slice(0, i) + text.slice(i + length)
            : kind === 'insert'
              ? `${text.slice(0, i)} ${insert} ${text.slice(i)}`
              : kind === 'replace'
                ? `${text.slice(0, i)}${insert}${text.slice(i + length)}`
                : kind === 'duplicate'
                  ? text.slice(0, i + length) + text.slice(i)
                  : text.slice(0, i);
        checkText(path, mutated);
        const formatted = format(mutated, path);
        if (formatted.ok) {
          // Whatever still parses cleanly must also format idempotently and keep its meaning.
          const again = format(formatted.text, path);
          expect(again.ok && again.text).toBe(formatted.text);
          expect(shape(parse(formatted.text, path).module)).toEqual(shape(parse(mutated, path).module));
        }
      }),
      runs(800),
    );
  });
});

describe('generated well-typed policies', () => {
  it('check without errors', () => {
    fc.assert(
      fc.property(fc.integer(), (seed) => {
        const { text } = generatePolicy(seed);
        const path = `/virtual/gen-${seed}.route`;
        const result = checkPolicy(path, nodeHost(new Map([[path, text]])));
        const errors = result.diagnostics.filter((d) => d.severity === 'error');
        expect(
          errors.map((d) => `${d.code} ${d.message}`),
          text,
        ).toEqual([]);
      }),
      runs(400),
    );
  });

  it('format idempotently and keep their meaning', () => {
    fc.assert(
      fc.property(fc.integer(), (seed) => {
        const { text } = generatePolicy(seed);
        const first = format(text);
        expect(first.ok, text).toBe(true);
        if (!first.ok) return;
        const second = format(first.text);
        expect(second.ok && second.text).toBe(first.text);
        expect(shape(parse(first.text, 'x').module)).toEqual(shape(parse(text, 'x').module));
        // Comments survive: the formatted text holds every comment of the original.
        const comments = (s: string) => parse(s, 'x').module.comments.map((c) => c.text.trim());
        expect(comments(first.text)).toEqual(comments(text));
      }),
      runs(400),
    );
  });
});

describe('valid fixtures', () => {
  for (const { path, text } of validFixtures) {
    it(`format idempotently: ${path.slice(CONFORMANCE.length + 1)}`, () => {
      const first = format(text, path);
      expect(first.ok).toBe(true);
      if (!first.ok) return;
      const second = format(first.text, path);
      expect(second.ok && second.text).toBe(first.text);
      expect(shape(parse(first.text, path).module)).toEqual(shape(parse(text, path).module));
      // And the formatted policy checks exactly as the original does.
      const host = nodeHost(new Map([[path, first.text]]));
      expect(checkPolicy(path, host).diagnostics.map((d) => d.code)).toEqual(checkPolicy(path).diagnostics.map((d) => d.code));
    });
  }
});

describe('line width', () => {
  it('a split too long for one line keeps one arm per line; shorter ones fold back; the meaning stays', () => {
    const arms = ['mini', 'sonnet', 'frontier'].map((m, i) => `${m} with { max_tokens: ${i + 1}k }: ${[70, 20, 10][i]}%`);
    const models = ['mini', 'sonnet', 'frontier']
      .map((m) => `model ${m} { provider = "p" id = "${m}" price = { input: $1 per 1M, output: $1 per 1M } context = 8k }`)
      .join('\n');
    const text = `policy w\ninput { prompt: text  tenant: string  tier: enum { free, pro } }\n${models}\nroute {\n  when tenant in ["acme", "globex", "initech"] and tier == pro -> split by tenant { ${arms.join(', ')} }\n  when tier == free -> split by tenant {\n    mini: 90%,\n    sonnet: 10%\n  }\n  otherwise -> mini\n}\n`;
    const once = format(text);
    expect(once.ok).toBe(true);
    if (!once.ok) return;
    expect(once.text.split('\n').filter((l) => l.length > LINE_WIDTH)).toEqual([]);
    expect(once.text).toContain('split by tenant {\n    mini with { max_tokens: 1k }: 70%,\n');
    expect(once.text).toContain('when tier == free -> split by tenant { mini: 90%, sonnet: 10% }');
    const twice = format(once.text);
    expect(twice.ok && twice.text).toBe(once.text);
    const ir = (source: string) => {
      const path = '/virtual/width.route';
      const r = compilePolicy(path, nodeHost(new Map([[path, source]])));
      return r.ir?.routes.map((route) => ({ graph: route.graph, plans: route.rules.map((rule) => rule.plan) }));
    };
    expect(ir(once.text)).toEqual(ir(text));
  });
});
