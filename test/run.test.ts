// run(): plans executed against fake adapters — fallbacks by error class, retries,
// timeouts, cascades, tool-first, denials, budgets, assertion re-checks, cancellation,
// load-time checks — and the realised split against its weights.

import { describe, expect, it } from 'vitest';
import { compilePolicy } from '../packages/dsl/src/compile.js';
import { nodeHost } from '../packages/dsl/src/load.js';
import {
  type ModelAdapter,
  memoryState,
  ProviderError,
  Router,
  RouterLoadError,
  type RunEvent,
  splitArm,
  tenantWindow,
} from '../packages/runtime/src/index.js';

const POLICY = `policy run_test
model mini { provider = "a" id = "mini" price = { input: $1 per 1M, output: $2 per 1M } context = 8k max_output = 1k deployment = on_prem }
model big { provider = "b" id = "big" price = { input: $10 per 1M, output: $20 per 1M } context = 8k max_output = 1k deployment = on_prem }
input {
  prompt: text
  kind: enum { fall, narrow, retry, slow, escalate, toolfirst, refuse, plain } = plain
}
tool kb { kind = search }
validator quality = extern "quality"
route {
  when kind == fall -> mini fallback big
  when kind == narrow -> mini fallback big on [timeout]
  when kind == retry -> mini with { retries: 2 }
  when kind == slow -> mini with { timeout: 50ms } fallback big
  when kind == escalate -> cascade [mini, big] until quality >= 0.8
  when kind == toolfirst -> try kb else mini
  when kind == refuse -> deny "not today"
  otherwise -> mini
}
assert "on premises only": model.deployment == on_prem
budget { per_request <= $1 }
`;

function compile(text = POLICY) {
  const path = '/virtual/run.route';
  const result = compilePolicy(path, nodeHost(new Map([[path, text]])));
  if (!result.ir) throw new Error(result.diagnostics.map((d) => `${d.code} ${d.message}`).join('\n'));
  return result.ir;
}

const answer = (text: string): ReturnType<ModelAdapter> => Promise.resolve({ text, usage: { inputTokens: 100, outputTokens: 10 } });

async function router(adapters: Record<string, ModelAdapter>, extra: Partial<Parameters<typeof Router.load>[1]> = {}, ir = compile()) {
  return Router.load(ir, {
    tokenizer: (t) => t.split(/\s+/).length,
    adapters,
    tools: { kb: async () => null },
    validators: { quality: (a) => (a.startsWith('good') ? 0.9 : 0.2) },
    ...extra,
  });
}

describe('run()', () => {
  it('falls back on an error and reports every attempt with cost', async () => {
    const r = await router({ a: () => Promise.reject(new ProviderError('rate_limit', '429')), b: () => answer('from big') });
    const result = await r.run({ prompt: 'hello', kind: 'fall' });
    expect(result.ok && result.text).toBe('from big');
    expect(result.attempts.map((a) => [a.target, a.outcome, a.errorClass ?? null])).toEqual([
      ['mini', 'error', 'rate_limit'],
      ['big', 'ok', null],
    ]);
    expect(result.cost).toBeCloseTo((100 * 10 + 10 * 20) / 1e6, 10);
  });

  it('falls back only on the listed error classes', async () => {
    const r = await router({ a: () => Promise.reject(new ProviderError('server_error', '500')), b: () => answer('from big') });
    const result = await r.run({ prompt: 'hello', kind: 'narrow' });
    expect(result.ok).toBe(false);
    expect(!result.ok && 'errorClass' in result && result.errorClass).toBe('server_error');
  });

  it('retries retryable failures with backoff', async () => {
    let calls = 0;
    const r = await router({
      a: () => (++calls < 3 ? Promise.reject(new ProviderError('server_error', 'flaky')) : answer('third time')),
      b: () => answer('x'),
    });
    const result = await r.run({ prompt: 'hello', kind: 'retry' });
    expect(result.ok && result.text).toBe('third time');
    expect(result.attempts.map((a) => a.attempt)).toEqual([1, 2, 3]);
  });

  it('measures latency and waits for retries on the host clock, with the host random source', async () => {
    // A virtual clock: sleeping advances it at once (what `routelang simulate` uses).
    let t = 1_000;
    const waits: number[] = [];
    const clock = {
      now: () => t,
      sleep: async (ms: number) => {
        waits.push(ms);
        t += ms;
      },
    };
    let calls = 0;
    const timeouts: number[] = [];
    const r = await router(
      {
        a: (call) => {
          timeouts.push(call.timeoutMs);
          t += 250; // the call "takes" 250 ms of virtual time
          return ++calls < 3 ? Promise.reject(new ProviderError('server_error', 'flaky')) : answer('third time');
        },
        b: () => answer('x'),
      },
      { clock, random: () => 0.5, defaultTimeoutMs: 30_000 },
    );
    const result = await r.run({ prompt: 'hello', kind: 'retry' });
    expect(result.ok && result.text).toBe('third time');
    expect(result.attempts.map((a) => a.latencyMs)).toEqual([250, 250, 250]);
    expect(waits).toEqual([50, 100]); // full jitter at 0.5 of 100 ms and 200 ms
    expect(result.latencyMs).toBe(750 + 150);
    expect(timeouts).toEqual([30_000, 30_000, 30_000]);
  });

  it('times a slow call out and falls back', async () => {
    const slow: ModelAdapter = ({ signal }) => new Promise((_, reject) => signal.addEventListener('abort', () => reject(new Error('aborted'))));
    const r = await router({ a: slow, b: () => answer('fast') });
    const result = await r.run({ prompt: 'hello', kind: 'slow' });
    expect(result.ok && result.text).toBe('fast');
    expect(result.attempts[0]).toMatchObject({ target: 'mini', outcome: 'error', errorClass: 'timeout' });
  });

  it('escalates a cascade while the score is below the threshold', async () => {
    const r = await router({ a: () => answer('meh'), b: () => answer('good answer') });
    const result = await r.run({ prompt: 'hello', kind: 'escalate' });
    expect(result.ok && [result.model, result.score]).toEqual(['big', 0.9]);
    expect(result.attempts.map((a) => a.target)).toEqual(['mini', 'big']);
  });

  it('tries the tool first and calls the model only when it has no answer', async () => {
    const withAnswer = await router({ a: () => answer('model'), b: () => answer('x') }, { tools: { kb: async () => ({ text: 'from kb' }) } });
    const r1 = await withAnswer.run({ prompt: 'hello', kind: 'toolfirst' });
    expect(r1.ok && [r1.text, r1.model]).toEqual(['from kb', undefined]);
    const without = await router({ a: () => answer('model'), b: () => answer('x') });
    const r2 = await without.run({ prompt: 'hello', kind: 'toolfirst' });
    expect(r2.ok && r2.text).toBe('model');
  });

  it('denies with the reason', async () => {
    const r = await router({ a: () => answer('x'), b: () => answer('x') });
    const result = await r.run({ prompt: 'hello', kind: 'refuse' });
    expect(!result.ok && 'denied' in result && result.denied).toBe('not today');
    expect(result.attempts).toEqual([]);
  });

  it('never starts a call that would exceed the per-request budget', async () => {
    // The compiler refuses such a policy (RL3006); the runtime must enforce it anyway.
    const ir = { ...compile(), budget: { perRequest: 0.001 } };
    const r = await router({ a: () => answer('x'), b: () => answer('x') }, {}, ir);
    const result = await r.run({ prompt: 'hello', kind: 'plain' });
    expect(result.ok).toBe(false);
    expect(result.attempts[0]).toMatchObject({ target: 'mini', outcome: 'skipped', errorClass: 'budget' });
  });

  it('re-checks assertions before each call (defence in depth)', async () => {
    const ir = compile();
    const tampered = { ...ir, models: ir.models.map((m) => (m.name === 'mini' ? { ...m, deployment: 'cloud' as const } : m)) };
    const r = await router({ a: () => answer('x'), b: () => answer('from big') }, {}, tampered);
    const result = await r.run({ prompt: 'hello', kind: 'fall' });
    expect(result.ok && result.text).toBe('from big');
    expect(result.attempts[0]).toMatchObject({ target: 'mini', outcome: 'skipped', errorClass: 'refusal' });
  });

  it('stops when the caller aborts', async () => {
    const controller = new AbortController();
    const hang: ModelAdapter = ({ signal }) => new Promise((_, reject) => signal.addEventListener('abort', () => reject(new Error('aborted'))));
    const r = await router({ a: hang, b: hang });
    const pending = r.run({ prompt: 'hello', kind: 'fall' }, { signal: controller.signal });
    setTimeout(() => controller.abort(), 20);
    const result = await pending;
    expect(!result.ok && 'errorClass' in result && result.errorClass).toBe('aborted');
    // The cancelled call is reported, with its class, and nothing falls back after it.
    expect(result.attempts.map((a) => [a.target, a.outcome, a.errorClass])).toEqual([['mini', 'error', 'aborted']]);
  });

  it('frees a half-open probe that the caller cancels, so the model gets traffic again', async () => {
    let now = 0;
    let fail = true;
    let hangNext = false;
    const adapter: ModelAdapter = ({ signal }) => {
      if (hangNext) return new Promise((_, reject) => signal.addEventListener('abort', () => reject(new Error('aborted'))));
      return fail ? Promise.reject(new ProviderError('server_error', '500')) : answer('back');
    };
    const r = await router(
      { a: adapter, b: () => answer('from big') },
      { breaker: { window: 4, minCalls: 2, failureRate: 0.5, openMs: 1000 }, now: () => now },
    );
    for (let i = 0; i < 3; i++) await r.run({ prompt: 'hello', kind: 'plain' });
    expect(r.circuits().mini).toBe('open');
    now = 1000; // cool-down over: the next call is the half-open probe
    hangNext = true;
    const controller = new AbortController();
    const probe = r.run({ prompt: 'hello', kind: 'plain' }, { signal: controller.signal });
    await new Promise((resolve) => setTimeout(resolve, 10));
    controller.abort();
    expect((await probe).ok).toBe(false);
    hangNext = false;
    fail = false;
    const after = await r.run({ prompt: 'hello', kind: 'plain' });
    expect(after.ok && after.model).toBe('mini');
    expect(r.circuits().mini).toBe('closed');
  });

  it('returns request errors without calling anything', async () => {
    const r = await router({ a: () => answer('x'), b: () => answer('x') });
    const result = await r.run({ prompt: 5 });
    expect(!result.ok && 'errors' in result && result.errors[0]?.field).toBe('prompt');
  });

  it('refuses at load what the policy names and the host did not give', async () => {
    const error = await Router.load(compile(), { tokenizer: () => 1, adapters: { a: () => answer('x') } }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(RouterLoadError);
    expect((error as RouterLoadError).errors.map((e) => e.path)).toEqual(['/adapters/b', '/tools/kb', '/validators/quality']);
  });

  it('needs no adapter for a provider or tool that no plan uses (a catalogue declares more)', async () => {
    const extra = POLICY.replace(
      'tool kb { kind = search }',
      'tool kb { kind = search }\ntool unused_tool { kind = search }\nmodel spare { provider = "c" id = "spare" price = { input: $1 per 1M, output: $1 per 1M } context = 8k deployment = on_prem }',
    );
    const r = await router({ a: () => answer('x'), b: () => answer('y') }, {}, compile(extra));
    expect((await r.run({ prompt: 'hello' })).ok).toBe(true);
  });
});

describe('telemetry', () => {
  it('logs one event per request and aggregates metrics per model and per rule', async () => {
    const events: RunEvent[] = [];
    const r = await router(
      { a: () => Promise.reject(new ProviderError('server_error', 'down')), b: () => answer('good answer') },
      {
        telemetry: {
          onEvent: (e) => {
            events.push(e);
            throw new Error('a broken logger must not break the request');
          },
        },
      },
    );
    const fall = await r.run({ prompt: 'hi', kind: 'fall' }, { requestId: 'req-1' });
    const escalate = await r.run({ prompt: 'hi', kind: 'escalate' });
    await r.run({ prompt: 'hi', kind: 'refuse' });
    await r.run({ prompt: 7 });
    expect(fall.ok && escalate.ok).toBe(true);
    expect(events.map((e) => [e.outcome, e.fallbacks, e.escalations, e.model ?? null])).toEqual([
      ['ok', 1, 0, 'big'],
      ['ok', 0, 1, 'big'],
      ['denied', 0, 0, null],
      ['invalid', 0, 0, null],
    ]);
    expect(JSON.stringify(events)).not.toContain('"hi"'); // no prompt text in the log
    // Every event names the policy and the request; an invalid one says what was wrong.
    expect(events.every((e) => e.policy.name === 'run_test' && e.policy.version === null)).toBe(true);
    expect(events[0]?.requestId).toBe('req-1');
    expect(events[1]?.requestId).toMatch(/^[0-9a-f-]{36}$/);
    expect(events[3]?.errors?.map((e) => e.field)).toEqual(['prompt']);
    // A cascade attempt carries the validator's score and what the request did next.
    expect(escalate.attempts.map((a) => [a.target, a.outcome, a.then ?? null, a.score ?? null])).toEqual([
      ['mini', 'error', 'escalation', null],
      ['big', 'ok', null, 0.9],
    ]);
    expect(fall.attempts.map((a) => a.then ?? null)).toEqual(['fallback', null]);
    const m = r.metrics();
    // Per model: mini's call was followed by a fallback once and by an escalation once.
    expect(m.models.mini).toMatchObject({ count: 2, errorRate: 1, fallbackRate: 0.5, escalationRate: 0.5 });
    expect(m.models.big).toMatchObject({ fallbackRate: 0, escalationRate: 0 });
    expect(m.models.big).toMatchObject({ count: 2, errorRate: 0, inputTokens: 200, outputTokens: 20 });
    expect(m.models.big?.latencyMs.p99).toBeGreaterThanOrEqual(m.models.big?.latencyMs.p50 ?? 0);
    expect(Object.values(m.rules).map((s) => [s.count, s.fallbackRate, s.escalationRate])).toEqual([
      [1, 1, 0],
      [1, 0, 1],
      [1, 0, 0],
    ]);
  });
});

describe('hot swap', () => {
  it('is atomic: in-flight runs finish on the old policy, new runs use the new one', async () => {
    let release: () => void = () => {};
    const gate = new Promise<void>((resolve) => {
      release = resolve;
    });
    const r = await router({
      a: async () => {
        await gate;
        return answer('old policy: mini');
      },
      b: () => answer('new policy: big'),
    });
    const inFlight = r.run({ prompt: 'hi', kind: 'plain' });
    await r.swap(compile(POLICY.replace('  otherwise -> mini\n', '  otherwise -> big\n')));
    const after = await r.run({ prompt: 'hi', kind: 'plain' });
    release();
    const before = await inFlight;
    expect(before.ok && before.text).toBe('old policy: mini');
    expect(after.ok && after.text).toBe('new policy: big');
    expect(r.decide({ prompt: 'hi' })).toMatchObject({ ok: true, first: 'big' });
    expect(r.metrics().models.mini?.count).toBe(1); // metrics carry over the swap
  });

  it('refuses an invalid artifact and keeps serving the old policy', async () => {
    const r = await router({ a: () => answer('mini'), b: () => answer('big') });
    await expect(r.swap({ format: 'routelang/ir@1' })).rejects.toBeInstanceOf(RouterLoadError);
    const withNewProvider = compile(POLICY.replace('provider = "b"', 'provider = "c"'));
    await expect(r.swap(withNewProvider)).rejects.toThrow(/missing/);
    expect((await r.run({ prompt: 'hi', kind: 'plain' })).ok).toBe(true);
    expect(r.ir.models.map((m) => m.provider)).toEqual(['a', 'b']);
  });
});

describe('circuit breakers', () => {
  it('shift traffic away from a failing provider and back after a successful probe', async () => {
    let now = 0;
    let miniUp = false;
    let miniCalls = 0;
    const r = await router(
      {
        a: () => {
          miniCalls++;
          return miniUp ? answer('mini is back') : Promise.reject(new ProviderError('server_error', '503'));
        },
        b: () => answer('from big'),
      },
      { breaker: { minCalls: 3, failureRate: 0.5, openMs: 10_000, window: 10 }, now: () => now },
    );
    for (let i = 0; i < 3; i++) expect((await r.run({ prompt: 'hi', kind: 'fall' })).ok).toBe(true);
    expect(r.circuits()).toEqual({ mini: 'open', big: 'closed' });
    const whileOpen = await r.run({ prompt: 'hi', kind: 'fall' });
    expect(whileOpen.attempts[0]).toMatchObject({ target: 'mini', outcome: 'skipped', errorClass: 'circuit_open' });
    expect(miniCalls).toBe(3); // the open circuit spared the provider
    now = 10_000;
    miniUp = true;
    const probe = await r.run({ prompt: 'hi', kind: 'fall' });
    expect(probe.ok && probe.text).toBe('mini is back');
    expect(r.circuits().mini).toBe('closed');
  });
});

describe('per-tenant budgets', () => {
  const TENANT_POLICY = `policy tenants
model mini { provider = "a" id = "mini" price = { input: $1 per 1M, output: $2 per 1M } context = 8k max_output = 1k }
input {
  prompt: text
  tenant: string
}
route { otherwise -> mini }
budget { per_tenant <= $0.0025 per day }
`;

  it('stop a tenant for the rest of the window, leave others alone, and reset the next day', async () => {
    let now = Date.UTC(2026, 10, 29, 12);
    const r = await Router.load(compile(TENANT_POLICY), { tokenizer: () => 1, adapters: { a: () => answer('ok') }, now: () => now });
    let served = 0;
    for (let i = 0; i < 20; i++) {
      const result = await r.run({ prompt: 'hi', tenant: 'acme' });
      if (!result.ok) {
        expect(result.attempts[0]).toMatchObject({ outcome: 'skipped', errorClass: 'budget' });
        break;
      }
      served++;
    }
    // Each call costs $0.00012 and is estimated at up to $0.002: it starts while spend + estimate <= $0.0025.
    expect(served).toBe(5);
    expect((await r.run({ prompt: 'hi', tenant: 'globex' })).ok).toBe(true);
    now += 86_400_000;
    expect((await r.run({ prompt: 'hi', tenant: 'acme' })).ok).toBe(true);
  });

  it('never overspend under concurrency: each call reserves its worst case first and settles after', async () => {
    // Ten concurrent requests of one tenant with a $0.50 cap, each call $0.10 (its estimate):
    // checking spend before a call and adding after let all ten through ($1.00).
    const policy = TENANT_POLICY.replace('$1 per 1M, output: $2 per 1M', '$100 per 1M, output: $0 per 1M').replace('$0.0025 per day', '$0.5 per day');
    const state = memoryState();
    const slow: ModelAdapter = () => new Promise((resolve) => setTimeout(() => resolve({ text: 'ok', usage: { inputTokens: 1000, outputTokens: 5 } }), 5));
    const r = await Router.load(compile(policy), { tokenizer: () => 1000, adapters: { a: slow }, state });
    const results = await Promise.all(Array.from({ length: 10 }, () => r.run({ prompt: 'hi', tenant: 'acme' })));
    const spent = results.reduce((sum, x) => sum + x.cost, 0);
    expect(results.filter((x) => x.ok).length).toBe(5);
    expect(spent).toBeCloseTo(0.5, 9);
    for (const x of results.filter((y) => !y.ok)) expect(x.attempts[0]).toMatchObject({ outcome: 'skipped', errorClass: 'budget' });
    // Reservations were settled to the actual cost and the refused ones released.
    expect(await state.get(tenantWindow('acme', 'day', Date.now()).key)).toBeCloseTo(spent, 9);
    // A cheaper actual cost than the estimate is settled down, leaving room for later calls.
    const cheap: ModelAdapter = () => Promise.resolve({ text: 'ok', usage: { inputTokens: 500, outputTokens: 0 } });
    const r2 = await Router.load(compile(policy), { tokenizer: () => 1000, adapters: { a: cheap } });
    let served = 0;
    for (let i = 0; i < 20; i++) if ((await r2.run({ prompt: 'hi', tenant: 'acme' })).ok) served++;
    expect(served).toBe(9); // $0.05 each, and the last must fit a $0.10 estimate under $0.50
  });

  it('need a `tenant` field: the compiler says so (RL2035), and the runtime refuses such an artifact at load', async () => {
    const path = '/virtual/no-tenant.route';
    const checked = compilePolicy(path, nodeHost(new Map([[path, TENANT_POLICY.replace('  tenant: string\n', '')]])));
    expect(checked.diagnostics.map((d) => d.code)).toEqual(['RL2035']);
    const good = compile(TENANT_POLICY);
    const ir = { ...good, inputs: good.inputs.filter((f) => f.name !== 'tenant') };
    const error = await Router.load(ir, { tokenizer: () => 1, adapters: { a: () => answer('ok') } }).catch((e: unknown) => e);
    expect((error as RouterLoadError).errors.map((e) => e.path)).toEqual(['/inputs/tenant']);
  });
});

describe('sticky splits', () => {
  it('realise their weights within one percentage point over 100,000 keys', () => {
    const weights = [90, 7.5, 2.5];
    const counts = [0, 0, 0];
    for (let i = 0; i < 100_000; i++) {
      const arm = splitArm(weights, `user-${i}`, 'route#3');
      counts[arm] = (counts[arm] ?? 0) + 1;
    }
    for (const [i, c] of counts.entries()) expect(Math.abs(c / 1000 - (weights[i] as number))).toBeLessThan(1);
    // Sticky: the same key always lands in the same arm.
    expect(splitArm(weights, 'user-42', 'route#3')).toBe(splitArm(weights, 'user-42', 'route#3'));
  });

  it('cut the 10,000 buckets exactly: an arm of 50% holds buckets 0 to 4,999, the next starts at 5,000', () => {
    // Keys found by search whose FNV-1a bucket (salt "salt") is 0, 4,999, 5,000 and 9,999.
    const at = { 0: 'u1236', 4999: 'u4511', 5000: 'u11260', 9999: 'u7873' };
    expect(splitArm([50, 50], at[5000], 'salt')).toBe(1);
    expect(splitArm([50, 50], at[4999], 'salt')).toBe(0);
    expect(splitArm([50, 50], at[0], 'salt')).toBe(0);
    expect(splitArm([50, 50], at[9999], 'salt')).toBe(1);
    // Weights that do not reach 100 (a tampered artifact) send the rest to the last arm.
    expect(splitArm([10, 10], at[9999], 'salt')).toBe(1);
  });
});

describe('named routes inside plans', () => {
  const POLICY_ROUTES = `policy routes_in_plans
model mini { provider = "a" id = "mini" price = { input: $1 per 1M, output: $2 per 1M } context = 8k max_output = 1k deployment = on_prem }
model big { provider = "b" id = "big" price = { input: $10 per 1M, output: $20 per 1M } context = 8k max_output = 1k deployment = on_prem }
input { prompt: text  tenant: string  kind: enum { split, fall } = split }
route {
  when kind == fall -> mini fallback premium
  otherwise -> split by tenant { cheap: 50%, premium: 50% }
}
route cheap { otherwise -> mini }
route premium { otherwise -> big }
`;

  it('run the arm of a split that names a route, sticky per tenant, as decide() reports it', async () => {
    const r = await router({ a: () => answer('from mini'), b: () => answer('from big') }, {}, compile(POLICY_ROUTES));
    const seen = new Set<string>();
    for (let i = 0; i < 40; i++) {
      const request = { prompt: 'hello', tenant: `t${i}` };
      const decision = r.decide(request);
      expect(decision.ok).toBe(true);
      if (!decision.ok) continue;
      // The rule of the arm's route is on the path, after the deciding rule.
      expect(decision.path.map((p) => p.route)).toEqual([null, decision.first === 'mini' ? 'cheap' : 'premium']);
      const result = await r.run(request);
      expect(result.ok && result.model).toBe(decision.first);
      // Sticky: the same tenant lands in the same arm again.
      const again = await r.run(request);
      expect(again.ok && again.model).toBe(decision.first);
      seen.add(decision.first as string);
    }
    expect([...seen].sort()).toEqual(['big', 'mini']);
  });

  it('fall back into a named route', async () => {
    const r = await router({ a: () => Promise.reject(new ProviderError('server_error', '500')), b: () => answer('from big') }, {}, compile(POLICY_ROUTES));
    const result = await r.run({ prompt: 'hello', tenant: 'x', kind: 'fall' });
    expect(result.ok && result.model).toBe('big');
    expect(result.attempts.map((a) => [a.target, a.outcome])).toEqual([
      ['mini', 'error'],
      ['big', 'ok'],
    ]);
  });
});

describe('attempt cap', () => {
  it('stops a request after the most attempts allowed', async () => {
    const r = await router(
      { a: () => Promise.reject(new ProviderError('server_error', 'down')), b: () => answer('x') },
      { maxAttempts: 2, breaker: { minCalls: 100 } },
    );
    const result = await r.run({ prompt: 'hi', kind: 'retry' });
    expect(result.ok).toBe(false);
    expect(result.attempts.map((a) => a.outcome)).toEqual(['error', 'error', 'skipped']);
  });
});

describe('options', () => {
  it('are validated at load, each problem named by its path', async () => {
    const error = await Router.load(compile(), {
      tokenizer: () => 1,
      adapters: { a: 'not a function' as never },
      maxAttempts: 0,
      breaker: { failureRate: 2 },
      colour: 'blue',
    } as never).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(RouterLoadError);
    expect((error as RouterLoadError).errors.map((e) => e.path).sort()).toEqual([
      '/options/',
      '/options/adapters/a',
      '/options/breaker/failureRate',
      '/options/maxAttempts',
    ]);
  });
});

describe('OpenTelemetry', () => {
  it('makes a span per run and a child span per model call, with attributes', async () => {
    const { trace } = await import('@opentelemetry/api');
    type Recorded = { name: string; parent: Recorded | undefined; attributes: Record<string, unknown>; status?: { code: number }; ended: boolean };
    const spans: Recorded[] = [];
    const tracer = {
      startSpan(name: string, options: { attributes?: Record<string, unknown> } = {}, ctx?: unknown) {
        const parent = ctx ? (trace.getSpan(ctx as never) as unknown as { recorded?: Recorded } | undefined)?.recorded : undefined;
        const recorded: Recorded = { name, parent, attributes: { ...options.attributes }, ended: false };
        spans.push(recorded);
        const span = {
          recorded,
          spanContext: () => ({ traceId: '0'.repeat(32), spanId: '0'.repeat(16), traceFlags: 1 }),
          setAttributes: (a: Record<string, unknown>) => {
            Object.assign(recorded.attributes, a);
            return span;
          },
          setStatus: (s: { code: number }) => {
            recorded.status = s;
            return span;
          },
          end: () => {
            recorded.ended = true;
          },
        };
        return span;
      },
    };
    const r = await router(
      { a: () => Promise.reject(new ProviderError('rate_limit', '429')), b: () => answer('from big') },
      { telemetry: { tracer: tracer as never } },
    );
    await r.run({ prompt: 'hi', kind: 'fall' });
    expect(spans.map((s) => [s.name, s.parent?.name ?? null, s.ended])).toEqual([
      ['routelang.run', null, true],
      ['routelang.call mini', 'routelang.run', true],
      ['routelang.call big', 'routelang.run', true],
    ]);
    expect(spans[1]?.attributes).toMatchObject({ 'routelang.error_class': 'rate_limit', 'gen_ai.request.model': 'mini' });
    expect(spans[1]?.status?.code).toBe(2); // ERROR
    expect(spans[2]?.attributes).toMatchObject({ 'gen_ai.usage.input_tokens': 100, 'gen_ai.usage.output_tokens': 10 });
    expect(spans[0]?.attributes).toMatchObject({ 'routelang.outcome': 'ok', 'routelang.model': 'big', 'routelang.fallbacks': 1 });
  });
});

describe('adaptive choices and built-in validators', () => {
  const CHOICE_POLICY = `policy choices
model mini { provider = "a" id = "mini" price = { input: $1 per 1M, output: $2 per 1M } context = 8k max_output = 1k }
model big { provider = "b" id = "big" price = { input: $10 per 1M, output: $20 per 1M } context = 8k max_output = 1k }
input {
  prompt: text
  kind: enum { quick, cheap, best, shaped, present } = quick
}
validator quality = extern "quality"
validator shaped = schema "answer.json"
validator present = not_empty
validator parses = json
route {
  when kind == quick -> fastest [mini, big]
  when kind == cheap -> cheapest [big, mini]
  when kind == best -> best [mini, big] by quality
  when kind == shaped -> cascade [mini, big] until shaped >= 1
  when kind == present -> cascade [mini, big] until present >= 1
  otherwise -> cascade [mini, big] until parses >= 1
}
`;
  const schema = { type: 'object', required: ['answer'], properties: { answer: { type: 'string' } } };
  const load = (adapters: Record<string, (call: { model: { id: string } }) => ReturnType<typeof answer>>) =>
    Router.load(compile(CHOICE_POLICY), {
      tokenizer: () => 1,
      adapters,
      validators: { quality: (a: string) => (a.includes('great') ? 0.9 : 0.2) },
      schemas: { 'answer.json': schema },
    });

  it('fastest follows observed latency', async () => {
    const r = await load({
      a: async () => {
        await new Promise((res) => setTimeout(res, 40));
        return { text: 'slow mini', usage: { inputTokens: 1, outputTokens: 1 } };
      },
      b: () => answer('fast big'),
    });
    const first = await r.run({ prompt: 'x', kind: 'quick' });
    expect(first.ok && first.model).toBe('mini'); // nothing observed yet: declaration order
    // `best` tries mini first (no scores yet), scores it low, and so tries big next time:
    // now both latencies have been observed, big's far lower.
    await r.run({ prompt: 'x', kind: 'best' });
    await r.run({ prompt: 'x', kind: 'best' });
    const later = await r.run({ prompt: 'x', kind: 'quick' });
    expect(later.ok && later.model).toBe('big');
  });

  it('cheapest picks the cheaper model whatever the order', async () => {
    const r = await load({ a: () => answer('from mini'), b: () => answer('from big') });
    const result = await r.run({ prompt: 'x', kind: 'cheap' });
    expect(result.ok && result.model).toBe('mini');
  });

  it('best learns from the scores and moves to the better model', async () => {
    const r = await load({ a: () => answer('ok answer'), b: () => answer('great answer') });
    const first = await r.run({ prompt: 'x', kind: 'best' });
    expect(first.ok && [first.model, first.score]).toEqual(['mini', 0.2]);
    const second = await r.run({ prompt: 'x', kind: 'best' });
    expect(second.ok && [second.model, second.score]).toEqual(['big', 0.9]);
  });

  it('a failing choice fails over to the next candidate', async () => {
    const r = await load({ a: () => Promise.reject(new ProviderError('server_error', 'down')), b: () => answer('from big') });
    const result = await r.run({ prompt: 'x', kind: 'cheap' });
    expect(result.ok && result.model).toBe('big');
  });

  it('schema, not_empty and json validators score answers', async () => {
    const r = await load({ a: () => answer('not json'), b: () => answer('{"answer":"yes"}') });
    const shaped = await r.run({ prompt: 'x', kind: 'shaped' });
    expect(shaped.ok && [shaped.model, shaped.score]).toEqual(['big', 1]);
    const parses = await r.run({ prompt: 'x', kind: 'plain' as never });
    expect(parses.ok).toBe(false); // `plain` is not a member: a structured error, not a throw
    const json = await r.run({ prompt: 'x', kind: 'quick' });
    expect(json.ok).toBe(true);
    const emptyFirst = await load({ a: () => answer('   '), b: () => answer('something') });
    const present = await emptyFirst.run({ prompt: 'x', kind: 'present' });
    expect(present.ok && [present.model, present.score]).toEqual(['big', 1]);
  });
});
