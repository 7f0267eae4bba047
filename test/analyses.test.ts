// The analyses' building blocks from their contract (docs/language.md): which rules decide
// where (named routes followed, impossible chains dropped), the options in force at each
// call (`with` on a composite plan and on a route reference applies to every call inside;
// the innermost value wins), the models a rule can reach, and worst-case cost with them.
// The mutation run found these unguarded: dropping the options or the empty-region test
// changed no golden, though the language server's cost lenses and the demo read them.

import { describe, expect, it } from 'vitest';
import { checkAssertions } from '../packages/dsl/src/analyze/assertions.js';
import { AnalysisContext, type Verdict } from '../packages/dsl/src/analyze/context.js';
import { reachableModels } from '../packages/dsl/src/analyze/paths.js';
import { planText } from '../packages/dsl/src/analyze/plan-text.js';
import { checkReachability } from '../packages/dsl/src/analyze/reachability.js';
import { checkContextWindows } from '../packages/dsl/src/analyze/resources.js';
import { separator } from '../packages/dsl/src/analyze/witness.js';
import { checkPolicy } from '../packages/dsl/src/compile.js';
import { compileRoutes } from '../packages/dsl/src/graph/compile.js';
import { decidingRules, nodeHost, plannedCalls, worstCost } from '../packages/dsl/src/index.js';
import type { Plan } from '../packages/runtime/src/index.js';

const CATALOGUE = `
model mini { provider = "a" id = "mini" price = { input: $1 per 1M, output: $10 per 1M } context = 8k max_output = 1k }
model big { provider = "a" id = "big" price = { input: $2 per 1M, output: $20 per 1M } context = 16k max_output = 2k }
model small { provider = "a" id = "small" price = { input: $1 per 1M, output: $1 per 1M } context = 4k max_output = 1k }
input {
  prompt: text
  x: enum { a, b, c, d, e } = a
}
`;

function compile(routes: string) {
  const path = '/virtual/analyses.route';
  const front = checkPolicy(path, nodeHost(new Map([[path, `policy p\n${CATALOGUE}\n${routes}`]])));
  const errors = front.diagnostics.filter((d) => d.severity === 'error');
  if (errors.length > 0) throw new Error(errors.map((d) => `${d.code} ${d.message}`).join('\n'));
  return compileRoutes(front.policy);
}

/** Each deciding chain as `route#rule…: calls with their options`. */
function calls(routes: string): string[] {
  const c = compile(routes);
  return decidingRules(c).map((d) => {
    const chain = d.chain.map((s) => `${s.route ?? 'entry'}#${s.rule.index}`).join('>');
    const planned = plannedCalls(d.plan, d.inherited).map((call) => `${call.model}${JSON.stringify(call.options)}`);
    return `${chain}: ${planned.join(' ')}`;
  });
}

describe('options in force at each call', () => {
  it.each([
    ['a composite plan', 'route { otherwise -> (mini fallback big) with { retries: 3 } }', ['entry#0: mini{"retries":3} big{"retries":3}']],
    [
      'nested with: the innermost wins',
      'route { otherwise -> ((mini with { retries: 1 }) fallback big) with { retries: 0, max_tokens: 1k } }',
      ['entry#0: mini{"retries":1,"maxTokens":1000} big{"retries":0,"maxTokens":1000}'],
    ],
    [
      'a named route under with',
      'route { otherwise -> premium with { retries: 2 } }\nroute premium { otherwise -> mini }',
      ['entry#0: ', 'entry#0>premium#0: mini{"retries":2}'],
    ],
    [
      'a named route inside a composite under with',
      'route { otherwise -> (premium fallback big) with { max_tokens: 100 } }\nroute premium { otherwise -> mini with { retries: 1 } }',
      ['entry#0: big{"maxTokens":100}', 'entry#0>premium#0: mini{"maxTokens":100,"retries":1}'],
    ],
    [
      'cascade steps and choice candidates',
      'route {\n  when x == b -> (cascade [mini, big] until q >= 0.5) with { retries: 1 }\n  otherwise -> cheapest [big, small] with { max_tokens: 10 }\n}\nvalidator q = extern "q"',
      ['entry#0: mini{"retries":1} big{"retries":1}', 'entry#1: big{"maxTokens":10} small{"maxTokens":10}'],
    ],
  ])('%s', (_name, routes, expected) => {
    expect(calls(routes)).toEqual(expected);
  });

  it('worst-case cost of a named route rule counts the retries the caller asked for', () => {
    const c = compile('route { otherwise -> premium with { retries: 2 } }\nroute premium { otherwise -> mini }');
    const [entry, inner] = decidingRules(c);
    const one = 8000 * 1e-6 + 1000 * 10e-6;
    expect(inner && worstCost(c, inner.plan, inner.region, inner.inherited).total).toBeCloseTo(3 * one, 10);
    expect(entry && worstCost(c, entry.plan, entry.region, entry.inherited).total).toBeCloseTo(3 * one, 10);
  });
});

describe('deciding chains', () => {
  it('drops chains whose region is empty, and the models only they reach', () => {
    const c = compile(
      'route {\n  when x == a -> r\n  when x == e and x == d -> big\n  otherwise -> small\n}\nroute r {\n  when x == b -> big\n  otherwise -> mini\n}',
    );
    const chains = decidingRules(c).map((d) => d.chain.map((s) => `${s.route ?? 'entry'}#${s.rule.index}`).join('>'));
    expect(chains).toEqual(['entry#0', 'entry#0>r#1', 'entry#2']);
    const first = decidingRules(c)[0];
    expect(first && reachableModels(c, first.entry)).toEqual(['mini']);
  });

  it('follows routes at any depth, and every route of a split', () => {
    const c = compile(
      'input { user: string }\nroute { otherwise -> split by user { r1: 50%, r2: 50% } }\nroute r1 { otherwise -> r3 }\nroute r2 { when x == c -> big\n otherwise -> small }\nroute r3 { otherwise -> mini }',
    );
    const chains = decidingRules(c).map((d) => d.chain.map((s) => `${s.route ?? 'entry'}#${s.rule.index}`).join('>'));
    expect(chains).toEqual(['entry#0', 'entry#0>r1#0', 'entry#0>r1#0>r3#0', 'entry#0>r2#0', 'entry#0>r2#1']);
    const entry = decidingRules(c)[0];
    expect(entry && reachableModels(c, entry.entry).sort()).toEqual(['big', 'mini', 'small']);
  });
});

describe('counterexample text', () => {
  it.each([
    [[], ' '],
    [['a b'], '\n'],
    [['a b', 'x\ny'], '|'],
    [['a b', 'x\ny', 'p|q', 'r~s'], '\u00b7'],
    [[' \n|~\u00b7'], '\u2000'],
    [[' \n|~\u00b7\u2000', '\u2001'], '\u2002'],
  ])('joins required substrings with a character no constant has (%j)', (constants, expected) => {
    const sep = separator(constants);
    expect(sep).toBe(expected);
    expect(constants.some((k) => k.includes(sep))).toBe(false);
  });
});

// Plans as messages print them (RL3005, RL3006 and RL3007 quote the plan): the text must read
// back as the policy's own syntax.
describe('plans in messages', () => {
  it.each<[Plan, string]>([
    [{ kind: 'model', model: 'mini' }, 'mini'],
    [{ kind: 'model', model: 'mini', options: {} }, 'mini'],
    [{ kind: 'model', model: 'mini', options: { timeoutMs: 2000 } }, 'mini with { timeout: 2s }'],
    [{ kind: 'model', model: 'mini', options: { timeoutMs: 1500, maxTokens: 300, retries: 2 } }, 'mini with { timeout: 1500ms, max_tokens: 300, retries: 2 }'],
    [{ kind: 'with', plan: { kind: 'route', route: 'r' }, options: { retries: 3 } }, '(r) with { retries: 3 }'],
    [{ kind: 'deny', reason: 'no "PII" here' }, 'deny "no \\"PII\\" here"'],
    [
      { kind: 'fallback', primary: { kind: 'model', model: 'a' }, secondary: { kind: 'model', model: 'b' }, on: ['timeout', 'rate_limit'] },
      'a fallback b on [timeout, rate_limit]',
    ],
  ])('%j reads %s', (plan, text) => {
    expect(planText(plan)).toBe(text);
  });
});

// An undecided question is never a proof (language.md §7): where the solver cannot show a
// region empty, each analysis says so (RL3009: a warning for reachability, an error where a
// proof was needed) instead of reporting a finding or staying silent.
describe('undecided questions', () => {
  /** The analyses' context, except that every "no request lies here" becomes "could not decide". */
  class Unsure extends AnalysisContext {
    override decide(region: number): Verdict {
      const verdict = super.decide(region);
      return verdict.kind === 'empty' ? { kind: 'undecided', reason: 'the test withholds proofs' } : verdict;
    }
  }

  /** Each finding with the source text it points at. */
  const found = (ctx: AnalysisContext, source: string) =>
    ctx.diagnostics.map(
      (d) => `${d.code} ${d.severity} ${d.message.replace(/: the test withholds proofs$/, '')} @ ${source.slice(d.span.start, d.span.end).split('\n')[0]}`,
    );

  it('reports RL3009 where a proof was needed, and no finding that needed one', () => {
    const routes = `
      assert "mini only for a": model == mini implies x == a
      route {
        when x == a -> mini
        when x == a -> big
        when x == b -> r
        when x != a and x != b -> small
      }
      route r {
        otherwise -> small
      }
    `;
    const c = compile(routes);
    const ctx = new Unsure(c);
    checkReachability(ctx);
    checkAssertions(ctx);
    const source = `policy p\n${CATALOGUE}\n${routes}`;
    expect(found(ctx, source)).toEqual([
      'RL3009 warning could not decide whether this rule decides any request @ when x == a -> big',
      'RL3009 error could not decide whether every request matches a rule of the entry route @ route',
      'RL3009 error could not decide whether assertion "mini only for a" holds for `mini` here @ mini',
      'RL3009 error could not decide whether assertion "mini only for a" holds for `small` here @ small',
      'RL3009 error could not decide whether assertion "mini only for a" holds for `small` here @ small',
    ]);
  });

  it('does not call a rule shadowed when it could not decide whether its condition holds', () => {
    const routes = `
      route {
        when x == a or x == b -> mini
        when x == a -> big
        otherwise -> small
      }
    `;
    const c = compile(routes);
    const shadowed = c.routes.get(null)?.rules[1];
    if (!shadowed) throw new Error('no second rule');
    // Only "does `x == a` hold for some request?" is withheld: that the rule decides
    // nothing is still proved, but not why.
    class Withholding extends AnalysisContext {
      override decide(region: number): Verdict {
        return region === shadowed?.when ? { kind: 'undecided', reason: 'the test withholds proofs' } : super.decide(region);
      }
    }
    const ctx = new Withholding(c);
    checkReachability(ctx);
    expect(found(ctx, `policy p\n${CATALOGUE}\n${routes}`)).toEqual([
      'RL3009 warning could not decide whether this rule matches any request @ when x == a -> big',
    ]);
  });

  it('reports RL3009, not a window finding, where it could not decide whether a model gets larger prompts', () => {
    const routes = 'route { when prompt.tokens <= 12k -> mini\n otherwise -> deny "too long" }';
    class Undecided extends AnalysisContext {
      override decide(): Verdict {
        return { kind: 'undecided', reason: 'the test withholds proofs' };
      }
    }
    const ctx = new Undecided(compile(routes));
    checkContextWindows(ctx);
    expect(found(ctx, `policy p\n${CATALOGUE}\n${routes}`)).toEqual(['RL3009 warning could not decide whether `mini` can receive more than its window @ mini']);
  });
});

describe('context-window help', () => {
  it("sends larger prompts to the first of the plan's largest windows", () => {
    const routes = `
      model wide { provider = "a" id = "wide" price = { input: $3 per 1M, output: $30 per 1M } context = 16k }
      route { otherwise -> small fallback big fallback wide }
    `;
    const c = compile(routes);
    const ctx = new AnalysisContext(c);
    checkContextWindows(ctx);
    expect(ctx.diagnostics.map((d) => `${d.code} ${d.help}`)).toEqual([
      'RL3005 add a rule above this one for the larger prompts (`when prompt.tokens > 4k -> big`), or replace `small` with a model whose window holds 16,000 tokens',
    ]);
  });
});
