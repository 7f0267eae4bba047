// A rollout end to end: compiled from the language, run by the router. The candidate's share
// follows the stage, assignment is sticky per key, stage changes reach telemetry, a broken
// scorer's values are discarded and counted, and a reload keeps the rollout where it was.

import { describe, expect, it } from 'vitest';
import { compilePolicy, nodeHost } from '../packages/dsl/src/index.js';
import { type ModelAdapter, type RolloutEvent, Router } from '../packages/runtime/src/index.js';

function policy(stages: string, metric = 'quality'): ReturnType<typeof compilePolicy>['ir'] {
  const source = `policy canary
input {
  prompt: text
  user: string
}
model current { provider = "a" id = "current" price = { input: $1 per 1M, output: $1 per 1M } context = 8k max_output = 10 }
model next { provider = "a" id = "next" price = { input: $1 per 1M, output: $1 per 1M } context = 8k max_output = 10 }
validator quality = extern "quality"
route {
  otherwise -> rollout "next" by user { control -> current, candidate -> next, metric = ${metric}, margin = 0.05, stages = ${stages}, min_samples = 20 }
}
`;
  const path = '/virtual/canary.route';
  const result = compilePolicy(path, nodeHost(new Map([[path, source]])));
  if (!result.ir) throw new Error(result.diagnostics.map((d) => d.message).join('; '));
  return result.ir;
}

const adapter: ModelAdapter = async (call) => ({ text: call.model.name, usage: { inputTokens: 1, outputTokens: 1 } });

describe('rollouts in run()', () => {
  it('serves the candidate to its share of keys, stickily, and advances on evidence', async () => {
    const events: RolloutEvent[] = [];
    // The candidate always scores 1, the control 0.6: the evidence comes quickly.
    const router = await Router.load(policy('[10%, 50%, 100%]'), {
      adapters: { a: adapter },
      validators: { quality: (answer) => (answer === 'next' ? 1 : 0.6) },
      telemetry: { onRollout: (e) => events.push(e) },
      tokenizer: (t) => t.length,
    });
    const first = await Promise.all(Array.from({ length: 400 }, (_, i) => router.run({ prompt: 'hi', user: `u${i}` })));
    const served = first.map((r) => (r.ok ? r.model : undefined));
    // Sticky: the same key gets the same arm while the share stands.
    const again = await router.run({ prompt: 'hi', user: 'u0' });
    expect(again.ok && again.model).toBe(served[0]);
    expect(served.filter((m) => m === 'next').length).toBeGreaterThan(0);
    for (let i = 0; i < 5_000 && router.rollouts().next?.state !== 'complete'; i++) await router.run({ prompt: 'hi', user: `v${i}` });
    expect(router.rollouts().next?.state).toBe('complete');
    expect(events.map((e) => `${e.action} ${e.fromShare}→${e.toShare}`)).toEqual(['advance 10→50', 'complete 50→100']);
    const all = await Promise.all(Array.from({ length: 50 }, (_, i) => router.run({ prompt: 'hi', user: `w${i}` })));
    expect(all.every((r) => r.ok && r.model === 'next')).toBe(true);
  });

  it('discards scores outside [0, 1] and counts them, so a broken scorer cannot move a rollout', async () => {
    const router = await Router.load(policy('[10%, 100%]'), {
      adapters: { a: adapter },
      validators: { quality: () => Number.NaN },
      tokenizer: (t) => t.length,
    });
    for (let i = 0; i < 300; i++) await router.run({ prompt: 'hi', user: `u${i}` });
    const status = router.rollouts().next;
    expect(status?.share).toBe(10);
    expect(status?.control.n).toBe(0);
    expect(status?.discarded).toBe(300);
  });

  it('keeps a rollout across a reload that leaves its settings alone, and restarts one whose settings changed', async () => {
    const router = await Router.load(policy('[10%, 50%, 100%]', 'errors'), {
      adapters: { a: adapter },
      validators: { quality: () => 1 },
      tokenizer: (t) => t.length,
    });
    for (let i = 0; i < 200; i++) await router.run({ prompt: 'hi', user: `u${i}` });
    const before = router.rollouts().next;
    expect(before?.control.n).toBeGreaterThan(0);
    await router.swap(policy('[10%, 50%, 100%]', 'errors'));
    expect(router.rollouts().next?.control.n).toBe(before?.control.n);
    await router.swap(policy('[20%, 100%]', 'errors'));
    expect(router.rollouts().next?.control.n).toBe(0);
  });
});

describe('rollouts in the gateway', () => {
  it('logs each stage change with its evidence and exports the share as a metric', async () => {
    const { startFakeUpstream, startGateway } = await import('../packages/gateway/src/index.js');
    const fake = await startFakeUpstream();
    const source = `policy canary
input {
  prompt: text
  user: string
}
provider a {
  protocol = openai
  base_url = "https://example.invalid/v1"
}
model current { provider = "a" id = "current" price = { input: $1 per 1M, output: $1 per 1M } context = 8k max_output = 10 }
model next { provider = "a" id = "next" price = { input: $1 per 1M, output: $1 per 1M } context = 8k max_output = 10 }
route {
  otherwise -> rollout "next" by user { control -> current, candidate -> next, metric = errors, margin = 20%, stages = [50%, 100%], min_samples = 20 }
}
`;
    const path = '/virtual/gw-canary.route';
    const ir = compilePolicy(path, nodeHost(new Map([[path, source]]))).ir;
    if (!ir) throw new Error('does not compile');
    const lines: Record<string, unknown>[] = [];
    const gateway = await startGateway({ ir, router: { upstreams: { a: fake.url } }, log: (line) => lines.push(JSON.parse(line) as Record<string, unknown>) });
    try {
      for (let i = 0; i < 2_000 && !lines.some((l) => l.type === 'rollout'); i++) {
        const r = await fetch(`${gateway.url}/v1/chat/completions`, {
          method: 'POST',
          body: JSON.stringify({ model: 'auto', messages: [{ role: 'user', content: 'hi' }], metadata: { user: `u${i}` } }),
        });
        expect(r.status).toBe(200);
      }
      const change = lines.find((l) => l.type === 'rollout') as { action: string; toShare: number; reason: string; policy: { hash: string } } | undefined;
      expect(change?.action).toBe('complete');
      expect(change?.toShare).toBe(100);
      expect(change?.reason).toMatch(/interval \[/);
      expect(change?.policy.hash).toBe(gateway.version);
      const metrics = await (await fetch(`${gateway.url}/metrics`)).text();
      expect(metrics).toContain('routelang_rollout_share{rollout="next"} 100');
      expect(metrics).toContain('routelang_rollout_changes_total{rollout="next",action="complete"} 1');
    } finally {
      await gateway.close();
      await fake.close();
    }
  });
});

describe('shadows in run()', () => {
  const source = (share: string) => `policy shadowing
input {
  prompt: text
  pii: bool = false
}
model current { provider = "a" id = "current" price = { input: $1 per 1M, output: $1 per 1M } context = 8k max_output = 10 deployment = on_prem }
model next { provider = "b" id = "next" price = { input: $1 per 1M, output: $1 per 1M } context = 8k max_output = 10 deployment = cloud }
validator quality = extern "quality"
route {
  otherwise -> current shadow next ${share} by quality
}
`;
  const compile = (text: string) => {
    const path = '/virtual/shadow.route';
    const result = compilePolicy(path, nodeHost(new Map([[path, text]])));
    if (!result.ir) throw new Error(result.diagnostics.map((d) => d.message).join('; '));
    return result.ir;
  };

  it('answers with the plan alone, never waits for or fails with the shadow, and reports both scores', async () => {
    const events: import('../packages/runtime/src/index.js').ShadowEvent[] = [];
    let release: () => void = () => {};
    const slow = new Promise<void>((r) => {
      release = r;
    });
    const router = await Router.load(compile(source('100%')), {
      adapters: {
        a: adapter,
        // The shadow hangs until released, then fails on every other call.
        b: async (call) => {
          await slow;
          if (call.prompt === 'fail') throw new Error('shadow upstream down');
          return { text: 'shadow answer', usage: { inputTokens: 2, outputTokens: 3 } };
        },
      },
      validators: { quality: (answer) => (answer === 'current' ? 0.7 : 0.9) },
      telemetry: { onShadow: (e) => events.push(e) },
      tokenizer: (t) => t.length,
    });
    const results = await Promise.all([router.run({ prompt: 'hi' }), router.run({ prompt: 'fail' })]);
    expect(results.map((r) => r.ok && r.model)).toEqual(['current', 'current']);
    // The answers came back while both shadows were still hanging; their costs are not the requests'.
    expect(events).toHaveLength(0);
    expect(results.every((r) => r.attempts.length === 1 && r.attempts[0]?.target === 'current')).toBe(true);
    release();
    await new Promise((r) => setTimeout(r, 20));
    const ok = events.find((e) => e.outcome === 'ok');
    expect(ok).toMatchObject({ shadow: 'next', primary: 'current', primaryScore: 0.7, shadowScore: 0.9, cost: expect.closeTo(5e-6, 12) });
    expect(events.find((e) => e.outcome === 'error')?.message).toContain('shadow upstream down');
  });

  it('refuses a shadow call the assertions forbid, at run time too', async () => {
    const text = source('100%').replace('route {', 'assert "pii on premises": pii implies model.deployment == on_prem\nroute {');
    const path = '/virtual/shadow-assert.route';
    const result = compilePolicy(path, nodeHost(new Map([[path, text]])));
    // The checker refutes it before it ships…
    expect(result.diagnostics.map((d) => d.code)).toContain('RL3004');
    expect(result.ir).toBeUndefined();
    // …and a tampered artifact (the same policy shadowing an on-premises model, edited to
    // shadow the cloud one) gets the call refused at run time.
    const clean = compilePolicy(path, nodeHost(new Map([[path, text.replace('current shadow next', 'current shadow current')]]))).ir;
    if (!clean) throw new Error('does not compile');
    const tampered = JSON.parse(JSON.stringify(clean).replace('"shadow":"current"', '"shadow":"next"'));
    const events: import('../packages/runtime/src/index.js').ShadowEvent[] = [];
    let shadowCalls = 0;
    const router = await Router.load(tampered, {
      adapters: {
        a: adapter,
        b: async () => {
          shadowCalls++;
          return { text: 'x', usage: { inputTokens: 1, outputTokens: 1 } };
        },
      },
      validators: { quality: () => 1 },
      telemetry: { onShadow: (e) => events.push(e) },
      tokenizer: (t) => t.length,
    });
    await router.run({ prompt: 'hi', pii: true });
    await new Promise((r) => setTimeout(r, 10));
    expect(shadowCalls).toBe(0);
    expect(events[0]).toMatchObject({ outcome: 'refused', shadow: 'next' });
  });

  it('mirrors about its share of requests', async () => {
    let shadowCalls = 0;
    const router = await Router.load(compile(source('10%')), {
      adapters: {
        a: adapter,
        b: async () => {
          shadowCalls++;
          return { text: 'x', usage: { inputTokens: 1, outputTokens: 1 } };
        },
      },
      validators: { quality: () => 1 },
      tokenizer: (t) => t.length,
      random: (() => {
        let i = 0;
        return () => (i++ % 100) / 100;
      })(),
    });
    for (let i = 0; i < 1_000; i++) await router.run({ prompt: 'hi' });
    expect(shadowCalls).toBe(100);
  });
});

describe('drift in run()', () => {
  it('reports a model whose answers grow longer, from the calls the router makes', async () => {
    const path = '/virtual/drift.route';
    const ir = compilePolicy(
      path,
      nodeHost(
        new Map([
          [
            path,
            `policy drifting
input {
  prompt: text
}
model mini { provider = "a" id = "mini" price = { input: $1 per 1M, output: $1 per 1M } context = 8k max_output = 1k }
route {
  otherwise -> mini
}
`,
          ],
        ]),
      ),
    ).ir;
    if (!ir) throw new Error('does not compile');
    let calls = 0;
    const events: import('../packages/runtime/src/index.js').DriftEvent[] = [];
    const router = await Router.load(ir, {
      adapters: { a: async () => ({ text: 'x', usage: { inputTokens: 5, outputTokens: ++calls > 600 ? 60 + (calls % 7) : 20 + (calls % 7) } }) },
      telemetry: { onDrift: (e) => events.push(e) },
      drift: { window: 200 },
      // A clock that stands still: latencies are all 0, so only the answers' length moves.
      clock: { now: () => 0, sleep: async () => {} },
      tokenizer: (t) => t.length,
    });
    for (let i = 0; i < 1_200; i++) {
      // A reload halfway keeps the windows (the reference stays the first window).
      if (i === 500) await router.swap(ir);
      await router.run({ prompt: 'hi' });
    }
    expect(events.map((e) => `${e.model} ${e.metric} ${e.window}`)).toEqual(['mini output_tokens 4', 'mini cost 4']);
    expect(router.drift().find((d) => d.metric === 'error_rate')?.drifted).toBe(false);
  });
});

describe('routelang explain on a rollout', () => {
  it('says which arm each stage gives the request’s key, the same bucket the runtime uses', async () => {
    const { spawnSync } = await import('node:child_process');
    const { rolloutBucket } = await import('../packages/runtime/src/index.js');
    const root = new URL('..', import.meta.url).pathname;
    const run = (user: string) =>
      spawnSync(
        process.execPath,
        [`${root}packages/dsl/bin/routelang.js`, 'explain', `${root}examples/rollout/policy.route`, '--request', JSON.stringify({ prompt: 'hi', user })],
        {
          encoding: 'utf8',
        },
      ).stdout;
    expect(rolloutBucket('chat-on-sonnet', 'u-17')).toBe(1289);
    expect(run('u-17')).toContain('rollout  "chat-on-sonnet" by user: this key is bucket 1,289 of 10,000; the candidate from 20%');
    expect(run('u-2')).toContain('bucket 8,525 of 10,000; the control at stages 20%, 50%, the candidate from 100%');
  });
});

describe('rollouts on latency and cost objectives', () => {
  it('compare the share of calls within the objective, and a failed call misses it', async () => {
    const path = '/virtual/objective.route';
    const source = (metric: string) => `policy objective
input {
  prompt: text
  user: string
}
model current { provider = "a" id = "current" price = { input: $1 per 1M, output: $1 per 1M } context = 8k max_output = 10 }
model next { provider = "a" id = "next" price = { input: $100 per 1M, output: $100 per 1M } context = 8k max_output = 10 }
route {
  otherwise -> rollout "next" by user { control -> current, candidate -> next, metric = ${metric}, margin = 0.05, stages = [50%, 100%], min_samples = 20 }
}
`;
    const compile = (metric: string) => compilePolicy(path, nodeHost(new Map([[path, source(metric)]])));
    expect(compile('{ latency_under: 2s }').ir?.routes[0]?.rules[0]?.plan).toMatchObject({ metric: { kind: 'latency_under', ms: 2000 } });
    expect(compile('{ fastest: 2s }').diagnostics.map((d) => d.code)).toContain('RL2040');
    const ir = compile('{ cost_under: $0.0001 }').ir;
    if (!ir) throw new Error('does not compile');
    expect(ir.routes[0]?.rules[0]?.plan).toMatchObject({ metric: { kind: 'cost_under', usd: 0.0001 } });
    // `next` costs 100 × 2 tokens × $100/1M = $0.0002 per call: over the objective, always.
    const router = await Router.load(ir, { adapters: { a: adapter }, tokenizer: (t) => t.length });
    for (let i = 0; i < 3_000 && router.rollouts().next?.state === 'running'; i++) await router.run({ prompt: 'hi', user: `u${i}` });
    const status = router.rollouts().next;
    expect(status?.state).toBe('rolled_back');
    expect(status?.candidate.mean).toBe(0);
    expect(status?.control.mean).toBe(1);
  });
});
