// Plan execution at its edges, from the contract (docs/runtime.md): cancellation at every
// point of a run, the order of `cheapest`, a tool's own timeout, cost and latency, the
// tenant's reservation released on every way out, and where a validator's score is put.

import { getEventListeners } from 'node:events';
import { describe, expect, it } from 'vitest';
import { compilePolicy } from '../packages/dsl/src/compile.js';
import { nodeHost } from '../packages/dsl/src/load.js';
import { type ModelAdapter, memoryState, ProviderError, Router, tenantWindow } from '../packages/runtime/src/index.js';

const POLICY = `policy edges
model mini { provider = "a" id = "mini" price = { input: $1 per 1M, output: $100 per 1M } context = 8k max_output = 1k }
model big { provider = "b" id = "big" price = { input: $50 per 1M, output: $2 per 1M } context = 8k max_output = 1k }
model third { provider = "b" id = "third" price = { input: $50 per 1M, output: $2 per 1M } context = 8k max_output = 1k }
model exact { provider = "b" id = "exact" price = { input: $0 per 1M, output: $1000 per 1M } context = 8k max_output = 1k }
input {
  prompt: text
  form: enum { single, retry, fall, cheap, tie, slowtool, costly, best, cascade, wrapped, exactly } = single
  tenant: string = "t"
}
validator quality = extern "quality"
tool slow { kind = search timeout = 50ms }
tool pricey { kind = search cost = $0.60 }
route {
  when form == retry -> mini with { retries: 3 }
  when form == fall -> mini fallback big
  when form == cheap -> cheapest [mini, big]
  when form == tie -> cheapest [third, big]
  when form == slowtool -> try slow else big
  when form == costly -> try pricey else mini
  when form == best -> best [mini, big] by quality
  when form == cascade -> cascade [mini, big] until quality >= 0.8
  when form == wrapped -> cheapest [mini with { max_tokens: 500 }, big with { retries: 0 }]
  when form == exactly -> exact
  otherwise -> mini
}
budget { per_request <= $1  per_tenant <= $10 per day }
`;

function compile() {
  const path = '/virtual/edges.route';
  const result = compilePolicy(path, nodeHost(new Map([[path, POLICY]])));
  if (!result.ir) throw new Error(result.diagnostics.map((d) => `${d.code} ${d.message}`).join('\n'));
  return result.ir;
}

const answer = (text: string): ReturnType<ModelAdapter> => Promise.resolve({ text, usage: { inputTokens: 10, outputTokens: 10 } });

async function load(a: ModelAdapter, b: ModelAdapter = () => answer('from b'), extra: Partial<Parameters<typeof Router.load>[1] & object> = {}) {
  return Router.load(compile(), {
    tokenizer: () => 10,
    adapters: { a, b },
    tools: { slow: () => new Promise(() => {}), pricey: async () => null },
    validators: { quality: (text: string) => (text === 'from b' ? 0.9 : 0.3) },
    ...extra,
  });
}

const trail = (attempts: readonly { target: string; outcome: string; errorClass?: string }[]) =>
  attempts.map((a) => `${a.target}:${a.outcome}${a.errorClass ? `(${a.errorClass})` : ''}`);

describe('cancellation', () => {
  it('a signal aborted before the run makes no call', async () => {
    let calls = 0;
    const r = await load(() => {
      calls++;
      return answer('x');
    });
    const controller = new AbortController();
    controller.abort();
    const result = await r.run({ prompt: 'hi' }, { signal: controller.signal });
    expect(result).toMatchObject({ ok: false, errorClass: 'aborted' });
    expect(calls).toBe(0);
  });

  it('an abort during a call ends the run there: no fallback, and the circuit does not count it', async () => {
    const controller = new AbortController();
    const r = await load((call) => {
      setTimeout(() => controller.abort(), 5);
      return new Promise((_, reject) => call.signal.addEventListener('abort', () => reject(new Error('stopped'))));
    });
    const result = await r.run({ prompt: 'hi', form: 'fall' }, { signal: controller.signal });
    expect(result).toMatchObject({ ok: false, errorClass: 'aborted', fallbacks: 0 });
    expect(trail(result.attempts)).toEqual(['mini:error(aborted)']);
    expect(r.circuits()).toEqual({ mini: 'closed' });
  });

  it('an abort while waiting to retry ends the run without another attempt', async () => {
    const controller = new AbortController();
    const r = await load(() => Promise.reject(new ProviderError('server_error', 'down')), undefined, {
      clock: {
        now: () => 0,
        sleep: async () => {
          controller.abort();
        },
      },
    });
    const result = await r.run({ prompt: 'hi', form: 'retry' }, { signal: controller.signal });
    expect(result).toMatchObject({ ok: false, errorClass: 'aborted' });
    expect(trail(result.attempts)).toEqual(['mini:error(server_error)']);
  });

  it("leaves no listener on the caller's signal once the run is over", async () => {
    const controller = new AbortController();
    const r = await load(() => answer('x'));
    for (let i = 0; i < 5; i++) await r.run({ prompt: 'hi', form: 'fall' }, { signal: controller.signal });
    expect(getEventListeners(controller.signal, 'abort')).toHaveLength(0);
  });
});

describe('cheapest', () => {
  it('orders by the whole worst case (input at the prompt size, output at max_output), ties in the order written', async () => {
    // mini: 10 × $1/1M + 1000 × $100/1M = $0.10001; big: 10 × $50/1M + 1000 × $2/1M = $0.0025.
    const seen: string[] = [];
    const r = await load(
      (call) => {
        seen.push(call.model.name);
        return answer('a');
      },
      (call) => {
        seen.push(call.model.name);
        return answer('b');
      },
    );
    await r.run({ prompt: 'hi', form: 'cheap' });
    await r.run({ prompt: 'hi', form: 'tie' });
    expect(seen).toEqual(['big', 'third']);
  });
});

describe('tool steps', () => {
  it("a tool's own timeout cuts it off (not the router's default), and its latency is measured", async () => {
    const r = await load(() => answer('x'), undefined, { defaultTimeoutMs: 20_000 });
    const started = performance.now();
    const result = await r.run({ prompt: 'hi', form: 'slowtool' });
    expect(performance.now() - started).toBeLessThan(5_000);
    expect(trail(result.attempts)).toEqual(['slow:error(timeout)', 'big:ok']);
    expect(result.attempts[0]?.latencyMs).toBeGreaterThanOrEqual(40);
    expect(result.attempts[0]?.latencyMs).toBeLessThan(5_000);
  });

  it("a tool's cost is spent even without an answer, and counts against the budget", async () => {
    // $0.60 for the tool leaves $0.40; mini could cost $0.108: allowed. With a $0.95 tool it is not.
    const r = await load(() => answer('x'));
    const result = await r.run({ prompt: 'hi', form: 'costly' });
    expect(result.ok).toBe(true);
    expect(result.attempts.map((a) => a.cost)).toEqual([0.6, 10e-6 + 10 * 100e-6]);
    const ir = compile();
    const dear = { ...ir, tools: ir.tools.map((t) => (t.name === 'pricey' ? { ...t, cost: 0.95 } : t)) };
    const r2 = await Router.load(dear, {
      tokenizer: () => 10,
      adapters: { a: () => answer('x'), b: () => answer('y') },
      tools: { slow: async () => null, pricey: async () => null },
      validators: { quality: () => 1 },
    });
    const refused = await r2.run({ prompt: 'hi', form: 'costly' });
    expect(trail(refused.attempts)).toEqual(['pricey:ok', 'mini:skipped(budget)']);
  });
});

describe("the tenant's reservation", () => {
  const spent = async (state: ReturnType<typeof memoryState>) => state.get(tenantWindow('t', 'day', Date.now()).key);

  it('is settled to the actual cost after a success, and released after a failure or a refusal', async () => {
    const state = memoryState();
    const ok = await load(() => answer('x'), undefined, { state });
    await ok.run({ prompt: 'hi' });
    expect(await spent(state)).toBeCloseTo(10e-6 + 10 * 100e-6, 12);
    const failing = await load(() => Promise.reject(new ProviderError('server_error', 'down')), undefined, { state });
    await failing.run({ prompt: 'hi', form: 'retry' });
    expect(await spent(state)).toBeCloseTo(10e-6 + 10 * 100e-6, 12);
    const aborted = new AbortController();
    aborted.abort();
    await ok.run({ prompt: 'hi' }, { signal: aborted.signal });
    expect(await spent(state)).toBeCloseTo(10e-6 + 10 * 100e-6, 12);
  });
});

describe('scores', () => {
  it('`best` puts the score on the answering attempt and learns from it', async () => {
    const r = await load(() => answer('from a'));
    const result = await r.run({ prompt: 'hi', form: 'best' });
    expect(result.ok && result.score).toBe(0.3);
    expect(result.attempts.map((a) => [a.target, a.score])).toEqual([['mini', 0.3]]);
    // Unscored big counts as 1 and mini now as 0.3: big goes first.
    const next = await r.run({ prompt: 'hi', form: 'best' });
    expect(next.ok && next.model).toBe('big');
  });

  it('a cascade scores the step that answered, not an earlier failed attempt of it', async () => {
    let calls = 0;
    const r = await load(() => (++calls === 1 ? Promise.reject(new ProviderError('server_error', 'once')) : answer('from a')));
    const result = await r.run({ prompt: 'hi', form: 'cascade' });
    expect(result.attempts.map((a) => [a.target, a.outcome, a.score])).toEqual([
      ['mini', 'error', undefined],
      ['big', 'ok', 0.9],
    ]);
  });
});

describe('more edges', () => {
  it('cheapest sees through `with`, and weighs input at the prompt size', async () => {
    const seen: string[] = [];
    const record: ModelAdapter = (call) => {
      seen.push(call.model.name);
      return answer('x');
    };
    const r = await load(record, record);
    await r.run({ prompt: 'hi', form: 'wrapped' });
    // 100,000 prompt tokens: input now dominates, and mini (input $1/1M) is cheaper than big ($50/1M).
    const long = await Router.load(compile(), {
      tokenizer: () => 100_000,
      adapters: { a: record, b: record },
      tools: { slow: async () => null, pricey: async () => null },
      validators: { quality: () => 1 },
    });
    await long.run({ prompt: 'hi', form: 'cheap' });
    expect(seen).toEqual(['big', 'mini']);
  });

  it('a call whose worst case equals what is left of the budget is allowed', async () => {
    const r = await load(
      () => answer('x'),
      () => answer('exactly'),
    );
    const result = await r.run({ prompt: 'hi', form: 'exactly' });
    expect(result).toMatchObject({ ok: true, model: 'exact' });
  });

  it('a scorer that throws or answers outside [0, 1] cannot vouch: the cascade escalates', async () => {
    for (const bad of [
      () => 7,
      () => -1,
      () => Number.NaN,
      () => '0.9' as unknown as number,
      () => {
        throw new Error('scorer down');
      },
    ]) {
      const r = await Router.load(compile(), {
        tokenizer: () => 10,
        adapters: { a: () => answer('from a'), b: () => answer('from b') },
        tools: { slow: async () => null, pricey: async () => null },
        validators: { quality: (text: string) => (text === 'from b' ? 0.9 : bad()) },
      });
      const result = await r.run({ prompt: 'hi', form: 'cascade' });
      expect(result).toMatchObject({ ok: true, model: 'big', escalations: 1 });
      expect(result.attempts[0]?.score).toBe(0);
    }
  });

  it('a cascade whose last step fails answers with the best it had; with no answer at all it fails', async () => {
    const r = await load(
      () => answer('from a'),
      () => Promise.reject(new ProviderError('server_error', 'down')),
    );
    const kept = await r.run({ prompt: 'hi', form: 'cascade' });
    expect(kept).toMatchObject({ ok: true, model: 'mini', text: 'from a', score: 0.3 });
    const none = await load(
      () => Promise.reject(new ProviderError('rate_limit', 'slow down')),
      () => Promise.reject(new ProviderError('server_error', 'down')),
    );
    expect(await none.run({ prompt: 'hi', form: 'cascade' })).toMatchObject({ ok: false, errorClass: 'server_error' });
  });

  it('an abort during a cascade step, a candidate or a tool ends the run: no escalation, no next candidate, no else', async () => {
    for (const form of ['cascade', 'cheap', 'slowtool']) {
      const controller = new AbortController();
      const hang: ModelAdapter = (call) => {
        setTimeout(() => controller.abort(), 5);
        return new Promise((_, reject) => call.signal.addEventListener('abort', () => reject(new Error('stopped'))));
      };
      const r = await Router.load(compile(), {
        tokenizer: () => 10,
        adapters: { a: hang, b: hang },
        tools: {
          slow: ({ signal }) => {
            setTimeout(() => controller.abort(), 5);
            return new Promise((_, reject) => signal.addEventListener('abort', () => reject(new Error('stopped'))));
          },
          pricey: async () => null,
        },
        validators: { quality: () => 1 },
      });
      const result = await r.run({ prompt: 'hi', form }, { signal: controller.signal });
      expect([form, result.ok, 'errorClass' in result && result.errorClass, result.attempts.length]).toEqual([form, false, 'aborted', 1]);
    }
  });

  it("passes an answer's tool calls and finish reason through, and adds nothing when there are none", async () => {
    const toolCalls = [{ id: 'c1', type: 'function', function: { name: 'f', arguments: '{}' } }];
    const r = await load(() => Promise.resolve({ text: '', usage: { inputTokens: 1, outputTokens: 1 }, toolCalls, finishReason: 'tool_calls' }));
    expect(await r.run({ prompt: 'hi' })).toMatchObject({ ok: true, toolCalls, finishReason: 'tool_calls' });
    const plain = await (await load(() => answer('x'))).run({ prompt: 'hi' });
    expect('toolCalls' in plain || 'finishReason' in plain).toBe(false);
  });

  it.each([
    ['null', null],
    ['no text', { usage: { inputTokens: 1, outputTokens: 1 } }],
    ['text not a string', { text: 5, usage: { inputTokens: 1, outputTokens: 1 } }],
    ['no usage', { text: 'x' }],
    ['usage as strings', { text: 'x', usage: { inputTokens: '1', outputTokens: 1 } }],
    ['infinite usage', { text: 'x', usage: { inputTokens: 1, outputTokens: Number.POSITIVE_INFINITY } }],
    ['tool calls not a list', { text: 'x', usage: { inputTokens: 1, outputTokens: 1 }, toolCalls: 'f()' }],
    ['finish reason not a string', { text: 'x', usage: { inputTokens: 1, outputTokens: 1 }, finishReason: 1 }],
  ])('an answer with %s is malformed: a server_error, and the fallback runs', async (_name, value) => {
    const r = await load(() => Promise.resolve(value as never));
    const result = await r.run({ prompt: 'hi', form: 'fall' });
    expect(trail(result.attempts)).toEqual(['mini:error(server_error)', 'big:ok']);
  });
});
