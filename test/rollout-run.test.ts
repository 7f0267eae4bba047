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
