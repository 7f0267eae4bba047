// Fault injection: simulated providers with latency spikes, error bursts, hangs, rate
// limits, synchronous throws and malformed answers. Over 10,000 concurrent requests every
// request gets exactly one final outcome, no budget is exceeded, the breaker opens and
// closes as specified, metrics add up to the requests sent, and nothing leaks an
// unhandled rejection.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { compilePolicy } from '../packages/dsl/src/compile.js';
import { nodeHost } from '../packages/dsl/src/load.js';
import { type ModelAdapter, ProviderError, Router, type RunResult } from '../packages/runtime/src/index.js';
import { Rng } from './support/generate.js';

const POLICY = `policy faults
model mini { provider = "flaky" id = "mini" price = { input: $1 per 1M, output: $2 per 1M } context = 8k max_output = 1k }
model big { provider = "steady" id = "big" price = { input: $5 per 1M, output: $10 per 1M } context = 8k max_output = 1k }
model spare { provider = "spare" id = "spare" price = { input: $1 per 1M, output: $1 per 1M } context = 8k max_output = 1k }
input {
  prompt: text
  kind: enum { chat, hard } = chat
}
validator quality = extern "quality"
route {
  when kind == hard -> cascade [mini with { timeout: 300ms }, big with { timeout: 300ms }] until quality >= 0.5 fallback spare
  otherwise -> mini with { timeout: 300ms, retries: 1 } fallback big with { timeout: 300ms } fallback spare
}
budget { per_request <= $0.1 }
`;

const unhandled: unknown[] = [];
const onUnhandled = (reason: unknown): void => {
  unhandled.push(reason);
};
beforeAll(() => {
  process.on('unhandledRejection', onUnhandled);
});
afterAll(() => {
  process.off('unhandledRejection', onUnhandled);
});

function compile() {
  const path = '/virtual/faults.route';
  const result = compilePolicy(path, nodeHost(new Map([[path, POLICY]])));
  if (!result.ir) throw new Error(result.diagnostics.map((d) => d.message).join('\n'));
  // Tighter at run time than the compiler would accept: the runtime must enforce it alone.
  return { ...result.ir, budget: { perRequest: 0.02 } };
}

const ok = (text: string) => ({ text, usage: { inputTokens: 50, outputTokens: 20 } });
const wait = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** A provider that misbehaves in every way the issue lists, at random (seeded). */
function chaotic(rng: Rng, failing: () => boolean): ModelAdapter {
  return async () => {
    if (failing()) throw new ProviderError('server_error', 'burst');
    const r = rng.next();
    if (r < 0.05) throw new ProviderError('rate_limit', '429');
    if (r < 0.08) return new Promise(() => {}) as never; // hangs forever
    if (r < 0.1) return { text: 42 } as never; // garbage
    if (r < 0.12) return { text: 'no usage' } as never; // malformed
    if (r < 0.2)
      await wait(350); // latency spike past the 300 ms timeout
    else await wait(rng.int(0, 5));
    return ok('fine');
  };
}

describe('fault injection', () => {
  it('10,000 concurrent requests: one outcome each, budgets kept, metrics add up, no unhandled rejection', async () => {
    const rng = new Rng(7);
    let now = 0;
    let burst = false;
    const syncThrow: ModelAdapter = (() => {
      if (rng.next() < 0.02) throw new Error('thrown synchronously');
      return Promise.resolve(ok('steady'));
    }) as unknown as ModelAdapter;
    const router = await Router.load(compile(), {
      tokenizer: (t) => t.length,
      adapters: { flaky: chaotic(rng, () => burst), steady: syncThrow, spare: () => Promise.resolve(ok('spare')) },
      validators: {
        quality: (a) => {
          const r = rng.next();
          if (r < 0.05) throw new Error('scorer failed');
          if (r < 0.1) return 7; // outside [0, 1]
          return a === 'fine' ? 0.8 : 0.3;
        },
      },
      breaker: { window: 20, minCalls: 10, failureRate: 0.5, openMs: 1_000 },
      now: () => now,
    });

    // 1. An error burst opens mini's circuit; traffic moves to the fallbacks.
    burst = true;
    const burstResults = await Promise.all(Array.from({ length: 200 }, (_, i) => router.run({ prompt: `b${i}` })));
    expect(router.circuits().mini).toBe('open');
    expect(burstResults.every((r) => r.ok)).toBe(true);
    // 2. After the cool-down, with mini healthy again, the probe closes the circuit.
    burst = false;
    now += 1_000;
    const rngBefore = rng.next;
    rng.next = () => 0.5; // a calm provider for the probe
    const probe = await router.run({ prompt: 'probe' });
    rng.next = rngBefore;
    expect(probe.ok && probe.model).toBe('mini');
    expect(router.circuits().mini).toBe('closed');

    // 3. 10,000 concurrent requests with every kind of fault.
    const started = Date.now();
    const results: RunResult[] = await Promise.all(
      Array.from({ length: 10_000 }, (_, i) => router.run({ prompt: `request ${i}`, kind: i % 3 === 0 ? 'hard' : 'chat' })),
    );
    const elapsed = Date.now() - started;
    expect(results).toHaveLength(10_000);
    const outcomes = { ok: 0, failed: 0, denied: 0, invalid: 0 };
    for (const r of results) {
      if (r.ok) outcomes.ok++;
      else if ('denied' in r) outcomes.denied++;
      else if ('errors' in r) outcomes.invalid++;
      else outcomes.failed++;
      expect(r.cost).toBeLessThanOrEqual(0.02 + 1e-12); // per_request
      expect(r.attempts.length).toBeLessThanOrEqual(8);
    }
    expect(outcomes.ok + outcomes.failed + outcomes.denied + outcomes.invalid).toBe(10_000);
    expect(outcomes.ok).toBeGreaterThan(9_900); // the steady and spare providers catch what mini drops

    // 4. Metrics add up to the requests sent.
    const m = router.metrics();
    const ruleCount = Object.values(m.rules).reduce((n, s) => n + s.count, 0);
    expect(ruleCount).toBe(200 + 1 + 10_000);
    const modelCalls = [...burstResults, probe, ...results].flatMap((r) => r.attempts).filter((a) => a.kind === 'model' && a.outcome !== 'skipped').length;
    expect(Object.values(m.models).reduce((n, s) => n + s.count, 0)).toBe(modelCalls);
    const spent = [...burstResults, probe, ...results].reduce((n, r) => n + r.cost, 0);
    expect(Object.values(m.models).reduce((n, s) => n + s.cost, 0)).toBeCloseTo(spent, 9);

    // 5. Nothing escaped as an unhandled rejection (give stragglers a tick).
    await wait(100);
    expect(unhandled).toEqual([]);
    const patterns = new Map<string, number>();
    for (const r of results) {
      const key = r.attempts.map((a) => `${a.target}:${a.outcome}${a.errorClass ? `(${a.errorClass})` : ''}`).join(' > ');
      patterns.set(key, (patterns.get(key) ?? 0) + 1);
    }
    console.log(
      [...patterns]
        .sort((a, b) => b[1] - a[1])
        .slice(0, 6)
        .map(([k, v]) => `${v} ${k}`)
        .join('\n'),
    );
    console.log(
      `fault injection: ${outcomes.ok} ok, ${outcomes.failed} failed, ${elapsed} ms for 10,000 concurrent requests; mini ${JSON.stringify(m.models.mini)}; big ${JSON.stringify(m.models.big)}; spare ${JSON.stringify(m.models.spare)}`,
    );
  }, 120_000);
});
