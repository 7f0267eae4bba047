// Plan execution from the contract (docs/runtime.md), as outcome sequences: each error
// class × each plan form, with the attempts it must make and the outcome. Then the edges the
// mutation run found unguarded: scores outside [0, 1], the threshold's operator, malformed
// usage, and money already spent counting against the budget.

import { describe, expect, it } from 'vitest';
import { compilePolicy } from '../packages/dsl/src/compile.js';
import { nodeHost } from '../packages/dsl/src/load.js';
import { type ModelAdapter, ProviderError, Router } from '../packages/runtime/src/index.js';
import { ModelStats } from '../packages/runtime/src/stats.js';

const POLICY = `policy execute_contract
model mini { provider = "a" id = "mini" price = { input: $1 per 1M, output: $2 per 1M } context = 8k max_output = 1k }
model big { provider = "b" id = "big" price = { input: $10 per 1M, output: $20 per 1M } context = 8k max_output = 1k }
input {
  prompt: text
  form: enum { retry, fall, narrow, coded, cascade, strict, choice, lookup, vetted } = retry
}
validator quality = extern "quality"
tool kb { kind = search cost = $0.01 }
route {
  when form == retry -> mini with { retries: 2 }
  when form == fall -> mini fallback big
  when form == narrow -> mini fallback big on [timeout]
  when form == coded -> mini fallback big on [rate_limit, 503]
  when form == cascade -> cascade [mini, big] until quality >= 0.8
  when form == strict -> cascade [mini, big] until quality > 0.8
  when form == lookup -> try kb else mini
  when form == vetted -> try kb until quality >= 0.8 else mini
  otherwise -> cheapest [mini, big]
}
budget { per_request <= $1 }
`;

function compile() {
  const path = '/virtual/execute.route';
  const result = compilePolicy(path, nodeHost(new Map([[path, POLICY]])));
  if (!result.ir) throw new Error(result.diagnostics.map((d) => `${d.code} ${d.message}`).join('\n'));
  return result.ir;
}

const ok = (text: string, inputTokens = 100): ReturnType<ModelAdapter> => Promise.resolve({ text, usage: { inputTokens, outputTokens: 10 } });

type ToolAnswer = ReturnType<NonNullable<Parameters<typeof Router.load>[1]>['tools'] extends infer T ? (T extends Record<string, infer F> ? F : never) : never>;

async function router(
  mini: ModelAdapter,
  score: (answer: string) => number = (a) => (a === 'from big' ? 0.9 : 0.2),
  kb: () => ToolAnswer = () => Promise.resolve(null),
) {
  return Router.load(compile(), {
    tokenizer: () => 10,
    adapters: { a: mini, b: () => ok('from big') },
    tools: { kb },
    validators: { quality: score },
    clock: { now: () => 0, sleep: async () => {} },
  });
}

type Row = [form: string, attempts: string[], outcome: string];

/** What each plan form does when `mini` fails with `errorClass` (big answers). */
function expected(errorClass: string): Row[] {
  const retryable = errorClass !== 'refusal' && errorClass !== 'client_error';
  const fail = `mini:error(${errorClass})`;
  return [
    ['retry', retryable ? [fail, fail, fail] : [fail], `failed:${errorClass}`],
    ['fall', [fail, 'big:ok'], 'ok:big'],
    ['narrow', errorClass === 'timeout' ? [fail, 'big:ok'] : [fail], errorClass === 'timeout' ? 'ok:big' : `failed:${errorClass}`],
    ['cascade', [fail, 'big:ok'], 'ok:big'],
    ['choice', [fail, 'big:ok'], 'ok:big'],
  ];
}

describe('plan execution: each error class × each plan form', () => {
  for (const errorClass of ['timeout', 'rate_limit', 'server_error', 'client_error', 'refusal'] as const) {
    it(`${errorClass}`, async () => {
      for (const [form, attempts, outcome] of expected(errorClass)) {
        // A fresh router each time: failures would otherwise open mini's circuit breaker.
        const r = await router(() => Promise.reject(new ProviderError(errorClass, 'no')));
        const result = await r.run({ prompt: 'hello', form });
        const seen = result.attempts.map((a) => `${a.target}:${a.outcome}${a.errorClass ? `(${a.errorClass})` : ''}`);
        const got = result.ok ? `ok:${result.model}` : 'errorClass' in result ? `failed:${result.errorClass}` : 'other';
        expect([form, seen, got]).toEqual([form, attempts, outcome]);
      }
    });
  }
});

describe('fallback on HTTP statuses', () => {
  it('`on [rate_limit, 503]` takes a 429 and a 503, and neither a 500 nor a 401 (a client error, never retried)', async () => {
    const cases: [ProviderError, string[], string][] = [
      [new ProviderError('server_error', 'overloaded', 503), ['mini:error(server_error)', 'big:ok'], 'ok:big'],
      [new ProviderError('rate_limit', 'slow down', 429), ['mini:error(rate_limit)', 'big:ok'], 'ok:big'],
      [new ProviderError('server_error', 'internal', 500), ['mini:error(server_error)'], 'failed:server_error'],
      [new ProviderError('server_error', 'no status'), ['mini:error(server_error)'], 'failed:server_error'],
      [new ProviderError('client_error', 'bad key', 401), ['mini:error(client_error)'], 'failed:client_error'],
    ];
    for (const [error, attempts, outcome] of cases) {
      const r = await router(() => Promise.reject(error));
      for (const form of ['coded', 'retry']) {
        const result = await r.run({ prompt: 'hello', form });
        const seen = result.attempts.map((a) => `${a.target}:${a.outcome}${a.errorClass ? `(${a.errorClass})` : ''}`);
        const got = result.ok ? `ok:${result.model}` : 'errorClass' in result ? `failed:${result.errorClass}` : 'other';
        if (form === 'coded') expect([error.message, seen, got]).toEqual([error.message, attempts, outcome]);
        // `retries: 2`: a client error is not retried; the others are.
        else expect([error.message, seen.length]).toEqual([error.message, error.errorClass === 'client_error' ? 1 : 3]);
      }
    }
  });
});

describe('cascade scores and thresholds', () => {
  it('a score outside [0, 1] or not a number cannot pass a cascade: the next step runs', async () => {
    for (const bad of [7, Number.NaN, -1, Number.POSITIVE_INFINITY]) {
      const r = await router(
        () => ok('from mini'),
        (a) => (a === 'from mini' ? bad : 0.9),
      );
      const result = await r.run({ prompt: 'hello', form: 'cascade' });
      expect(result.ok && result.model, String(bad)).toBe('big');
      expect(result.attempts[0]?.score, String(bad)).toBe(0);
    }
  });

  it('the threshold keeps its operator: 0.8 passes `>= 0.8` and fails `> 0.8`', async () => {
    const r = await router(
      () => ok('from mini'),
      (a) => (a === 'from mini' ? 0.8 : 0.9),
    );
    const inclusive = await r.run({ prompt: 'hello', form: 'cascade' });
    expect(inclusive.ok && inclusive.model).toBe('mini');
    const strict = await r.run({ prompt: 'hello', form: 'strict' });
    expect(strict.ok && strict.model).toBe('big');
  });

  it('a score above a strict bar passes it: 0.9 passes `> 0.8`', async () => {
    const r = await router(
      () => ok('from mini'),
      (a) => (a === 'from mini' ? 0.9 : 0.95),
    );
    const strict = await r.run({ prompt: 'hello', form: 'strict' });
    expect(strict.ok && strict.model).toBe('mini');
  });
});

describe('answers and money', () => {
  it('negative, NaN or missing usage is a malformed answer (server_error), never a refund', async () => {
    for (const usage of [{ inputTokens: -5, outputTokens: 10 }, { inputTokens: Number.NaN, outputTokens: 1 }, { inputTokens: 1 }]) {
      const r = await router(() => Promise.resolve({ text: 'x', usage } as never));
      const result = await r.run({ prompt: 'hello', form: 'fall' });
      expect(result.attempts[0], JSON.stringify(usage)).toMatchObject({ target: 'mini', outcome: 'error', errorClass: 'server_error' });
      expect(result.ok && result.model).toBe('big');
      expect(result.cost).toBeGreaterThan(0);
    }
  });

  it('money spent by an earlier step counts against the budget: a step that would pass it is refused', async () => {
    // mini reports 999,000 input tokens ($0.999 of the $1 budget); the cascade escalates, and
    // big, estimated at $0.02 more, must be refused rather than run on a "refund".
    const r = await router(() => ok('from mini', 999_000));
    const result = await r.run({ prompt: 'hello', form: 'cascade' });
    expect(result.attempts.map((a) => [a.target, a.outcome, a.errorClass ?? null])).toEqual([
      ['mini', 'ok', null],
      ['big', 'skipped', 'budget'],
    ]);
    expect(result.cost).toBeCloseTo(0.99902, 9);
  });
});

describe('the statistics behind fastest and best', () => {
  const model = { name: 'm', provider: 'p', id: 'm', inputPrice: 0, outputPrice: 0, context: 1, deployment: 'cloud' as const, regions: [], tags: [] };

  it('latency is an exponentially weighted average (new observations weigh 0.2), else the catalogue, else unknown', () => {
    const stats = new ModelStats();
    expect(stats.latencyOf(model)).toBe(Number.POSITIVE_INFINITY);
    expect(stats.latencyOf({ ...model, latencyMs: 300 })).toBe(300);
    stats.recordLatency('m', 100);
    expect(stats.latencyOf(model)).toBe(100);
    stats.recordLatency('m', 200);
    expect(stats.latencyOf(model)).toBeCloseTo(120, 9);
    stats.recordLatency('m', 200);
    expect(stats.latencyOf(model)).toBeCloseTo(136, 9);
  });

  it('scores likewise; a model never scored counts as 1, so each is tried', () => {
    const stats = new ModelStats();
    expect(stats.scoreOf('m')).toBe(1);
    stats.recordScore('m', 0.5);
    expect(stats.scoreOf('m')).toBe(0.5);
    stats.recordScore('m', 1);
    expect(stats.scoreOf('m')).toBeCloseTo(0.6, 9);
  });
});

describe('tools first', () => {
  const steps = (result: { attempts: readonly { target: string; kind: string; outcome: string; errorClass?: string; cost: number }[] }) =>
    result.attempts.map((a) => `${a.kind}:${a.target}:${a.outcome}${a.errorClass ? `(${a.errorClass})` : ''}:$${Number(a.cost.toPrecision(6))}`);

  it("a tool's answer ends the plan and is paid for; no answer falls through to the model", async () => {
    const answered = await router(
      () => ok('from mini'),
      undefined,
      () => Promise.resolve({ text: 'from the knowledge base' }),
    );
    const hit = await answered.run({ prompt: 'hello', form: 'lookup' });
    expect(hit.ok && hit.text).toBe('from the knowledge base');
    expect(steps(hit)).toEqual(['tool:kb:ok:$0.01']);
    expect(hit.cost).toBeCloseTo(0.01, 9);
    const empty = await router(() => ok('from mini'));
    const miss = await empty.run({ prompt: 'hello', form: 'lookup' });
    expect(miss.ok && miss.model).toBe('mini');
    expect(steps(miss)).toEqual(['tool:kb:ok:$0.01', 'model:mini:ok:$0.00012']);
  });

  it('a malformed tool answer is a server_error, and the plan goes on', async () => {
    for (const bad of [{}, 'text', { text: 5 }]) {
      const r = await router(
        () => ok('from mini'),
        undefined,
        () => Promise.resolve(bad as never),
      );
      const result = await r.run({ prompt: 'hello', form: 'lookup' });
      expect(result.ok && result.model, JSON.stringify(bad)).toBe('mini');
      expect(result.attempts[0], JSON.stringify(bad)).toMatchObject({ kind: 'tool', outcome: 'error', errorClass: 'server_error' });
    }
  });

  it('`try … until` scores the tool answer: below the bar the model runs, at it the tool answers', async () => {
    for (const [score, expected] of [
      [0.5, 'mini'],
      [0.8, 'kb'],
    ] as const) {
      const r = await router(
        () => ok('from mini'),
        (a) => (a === 'kb says' ? score : 0.9),
        () => Promise.resolve({ text: 'kb says' }),
      );
      const result = await r.run({ prompt: 'hello', form: 'vetted' });
      expect(result.ok && (result.model ?? 'kb'), String(score)).toBe(expected);
      expect(result.attempts[0], String(score)).toMatchObject({ kind: 'tool', target: 'kb', score });
    }
  });
});
