// The rollout's statistics are honest: seeded simulations with the runtime's own decision
// rule (rolloutVerdict), checked after every request. Settings throughout: stages 5% → 25% →
// 50% → 100%, 95% confidence (α = 0.05), 50 candidate calls per stage at least, a pass/fail
// metric with the control passing 80% of the time.
//
//   - A/A (the candidate identical to the control) with margin 0 — equal arms are the edge of
//     "worse by at least the margin" — and a candidate worse by exactly the margin: the
//     rollout may leave its first stage in at most α of 1,000 runs of 20,000 requests each;
//   - a candidate worse by twice the margin rolls back in at least 95% of runs;
//   - a candidate equal or better reaches 100% within the numbers of requests stated below.
//
// Then the same controller as the runtime runs it (Rollout over a StateStore): two instances
// on one store move together, each change reported once, guardrails roll back at once.

import { describe, expect, it } from 'vitest';
import { Rollout, type RolloutEvent, type RolloutSpec } from '../packages/runtime/src/rollout.js';
import { memoryState } from '../packages/runtime/src/state.js';
import { seeded, simulateRollout } from './support/rollout-sim.js';

const SPEC = { stages: [5, 25, 50, 100], confidence: 0.95, minSamples: 50, rho: 100 } as const;
const ALPHA = 0.05;

function runs(count: number, margin: number, pControl: number, pCandidate: number, horizon: number, seed: number) {
  return Array.from({ length: count }, (_, i) => simulateRollout({ ...SPEC, margin }, pControl, pCandidate, horizon, seeded(seed + i)));
}

describe('anytime-valid rollouts (seeded simulations)', () => {
  it('A/A: leaves the first stage in at most α of 1,000 runs checked after every request', () => {
    const out = runs(1000, 0, 0.8, 0.8, 20_000, 1);
    const advanced = out.filter((o) => o.firstAdvance !== undefined).length / out.length;
    console.log(`A/A, margin 0: advanced past the first stage in ${(advanced * 100).toFixed(1)}% of 1,000 runs (α = 5%)`);
    expect(advanced).toBeLessThanOrEqual(ALPHA);
  });

  it('a candidate worse by exactly the margin leaves the first stage in at most α of 1,000 runs', () => {
    const out = runs(1000, 0.05, 0.8, 0.75, 20_000, 10_000);
    const advanced = out.filter((o) => o.firstAdvance !== undefined).length / out.length;
    console.log(`worse by the margin (0.05): advanced in ${(advanced * 100).toFixed(1)}% of 1,000 runs`);
    expect(advanced).toBeLessThanOrEqual(ALPHA);
  });

  it('a candidate worse by twice the margin rolls back in at least 95% of runs (and never completes)', () => {
    const out = runs(500, 0.05, 0.8, 0.7, 100_000, 20_000);
    const back = out.filter((o) => o.outcome === 'rollback').length / out.length;
    console.log(`worse by twice the margin: rolled back in ${(back * 100).toFixed(1)}% of 500 runs; ${requestsAt(out, 'rollback')}`);
    expect(back).toBeGreaterThanOrEqual(0.95);
    expect(out.some((o) => o.outcome === 'complete')).toBe(false);
  });

  // The stated numbers of requests to reach 100% (95% of runs within them), margin 0.05.
  const TO_FULL = [
    { better: 0, within: 70_000 },
    { better: 0.05, within: 16_000 },
    { better: 0.1, within: 8_000 },
  ];
  for (const { better, within } of TO_FULL) {
    it(`a candidate ${better === 0 ? 'equal to' : `better by ${better} than`} the control reaches 100% within ${within.toLocaleString('en')} requests in 95% of runs`, () => {
      const out = runs(500, 0.05, 0.8, 0.8 + better, 200_000, 30_000 + better * 1e5);
      const done = out.filter((o) => o.outcome === 'complete' && o.requests <= within).length / out.length;
      console.log(`better by ${better}: ${(done * 100).toFixed(1)}% at 100% within ${within}; ${requestsAt(out, 'complete')}`);
      expect(out.filter((o) => o.outcome === 'rollback')).toHaveLength(0);
      expect(done).toBeGreaterThanOrEqual(0.95);
    });
  }
});

function requestsAt(out: ReturnType<typeof runs>, outcome: 'complete' | 'rollback'): string {
  const sorted = out
    .filter((o) => o.outcome === outcome)
    .map((o) => o.requests)
    .sort((a, b) => a - b);
  const at = (p: number) => sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))] ?? 0;
  return `requests: median ${at(0.5)}, p95 ${at(0.95)}`;
}

describe('the Rollout controller over a StateStore', () => {
  const spec: RolloutSpec = { name: 'r', stages: [10, 50, 100], margin: 0.05, confidence: 0.95, minSamples: 20, rho: 50 };

  it('moves two instances together and reports each change once', async () => {
    const store = memoryState();
    const events: RolloutEvent[] = [];
    const a = new Rollout(spec, store, (e) => events.push(e), 'p');
    const b = new Rollout(spec, store, (e) => events.push(e), 'p');
    const random = seeded(7);
    for (let i = 0; i < 20_000 && a.status().state !== 'complete'; i++) {
      const instance = i % 2 === 0 ? a : b;
      const arm = random() * 100 < instance.share() ? 'candidate' : 'control';
      await instance.observe({ arm, value: random() < (arm === 'candidate' ? 0.95 : 0.8) ? 1 : 0, error: false, latencyMs: 10 });
    }
    await b.refresh();
    expect(a.status().state).toBe('complete');
    expect(b.share()).toBe(100);
    expect(events.map((e) => `${e.action} ${e.fromShare}→${e.toShare}`)).toEqual(['advance 10→50', 'complete 50→100']);
    expect(events[0]?.status.difference.low).toBeGreaterThan(-0.05);
    expect(events[0]?.reason).toMatch(/not worse than the control by more than 0\.05: candidate − control 0\.\d+, 95% interval \[/);
  });

  it('rolls back a worse candidate, once, for every instance', async () => {
    const store = memoryState();
    const events: RolloutEvent[] = [];
    const a = new Rollout(spec, store, (e) => events.push(e));
    const b = new Rollout(spec, store, (e) => events.push(e));
    const random = seeded(8);
    for (let i = 0; i < 50_000 && a.status().state === 'running'; i++) {
      const instance = i % 2 === 0 ? a : b;
      const arm = random() * 100 < instance.share() ? 'candidate' : 'control';
      await instance.observe({ arm, value: random() < (arm === 'candidate' ? 0.5 : 0.8) ? 1 : 0, error: false, latencyMs: 10 });
    }
    await b.refresh();
    expect([a.share(), b.share()]).toEqual([0, 0]);
    expect(events.map((e) => e.action)).toEqual(['rollback']);
    expect(events[0]?.status.difference.high).toBeLessThan(-0.05);
  });

  it('rolls back at once on a guardrail, and discards metric values outside [0, 1]', async () => {
    const events: RolloutEvent[] = [];
    const r = new Rollout({ ...spec, guards: { errorRate: 0.2, latencyP95Ms: 1_000 } }, memoryState(), (e) => events.push(e));
    for (const value of [Number.NaN, 7, -1, Number.POSITIVE_INFINITY]) await r.observe({ arm: 'control', value, error: false, latencyMs: 5 });
    expect(r.status().control.n).toBe(0);
    for (let i = 0; i < 10; i++) await r.observe({ arm: 'candidate', value: 1, error: false, latencyMs: 5 });
    expect(events).toHaveLength(0);
    for (let i = 0; i < 3; i++) await r.observe({ arm: 'candidate', value: undefined, error: true, latencyMs: 5 });
    expect(r.share()).toBe(0);
    expect(events[0]?.reason).toMatch(/^guardrail: the candidate's error rate 23\.1% over its last 13 calls is above 20%/);

    const slow = new Rollout({ ...spec, guards: { latencyP95Ms: 1_000 } }, memoryState(), (e) => events.push(e));
    for (let i = 0; i < 10; i++) await slow.observe({ arm: 'candidate', value: 1, error: false, latencyMs: i < 9 ? 10 : 5_000 });
    expect(slow.share()).toBe(0);
    expect(events[1]?.reason).toMatch(/p95 latency 5000 ms over its last 10 calls is above 1000 ms/);
  });
});
