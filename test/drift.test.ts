import { describe, expect, it } from 'vitest';
import { type DriftEvent, DriftMonitor } from '../packages/runtime/src/drift.js';
import { seeded } from './support/rollout-sim.js';

describe('DriftMonitor', () => {
  it('reports a score that drops, once, with the windows and the interval', () => {
    const events: DriftEvent[] = [];
    const m = new DriftMonitor((e) => events.push(e), 400, 0.001);
    const random = seeded(1);
    for (let i = 0; i < 4_000; i++) m.observe('mini', { score: (i < 2_000 ? 0.85 : 0.65) + (random() - 0.5) * 0.2 });
    expect(events).toHaveLength(1);
    expect(events[0]).toMatchObject({ model: 'mini', metric: 'score', test: 'mean_difference', window: 6 });
    expect(events[0]?.estimate).toBeCloseTo(-0.2, 1);
    expect(events[0]?.high).toBeLessThan(0);
  });

  it('reports latency that doubles by the share above the reference median, and not an unchanged one', () => {
    const events: DriftEvent[] = [];
    const m = new DriftMonitor((e) => events.push(e), 300, 0.001);
    const random = seeded(2);
    for (let i = 0; i < 3_000; i++) {
      m.observe('slow', { latency_ms: (i < 1_500 ? 200 : 400) * (0.5 + random()) });
      m.observe('steady', { latency_ms: 200 * (0.5 + random()), error_rate: random() < 0.02 ? 1 : 0 });
    }
    expect(events.map((e) => `${e.model} ${e.metric} ${e.test} ${e.window}`)).toEqual(['slow latency_ms share_above_reference_median 6']);
    expect(events[0]?.estimate).toBeGreaterThan(0.8);
    expect(events[0]?.low).toBeGreaterThan(0.5);
  });

  it('keeps the false-alarm rate under α across many quiet windows', () => {
    let alarms = 0;
    const m = new DriftMonitor(() => alarms++, 200, 0.01);
    const random = seeded(3);
    // 50 models × 20 windows × 3 metrics of noise: 2,850 comparisons.
    for (let model = 0; model < 50; model++) {
      for (let i = 0; i < 4_000; i++) m.observe(`m${model}`, { score: random(), error_rate: random() < 0.1 ? 1 : 0, cost: random() * 1e-3 });
    }
    expect(alarms / 2_850).toBeLessThanOrEqual(0.01);
  });

  it('ignores values that are not numbers and scores outside [0, 1]', () => {
    const m = new DriftMonitor(() => {}, 20);
    for (let i = 0; i < 100; i++) m.observe('x', { score: i % 2 === 0 ? Number.NaN : 7, latency_ms: Number.POSITIVE_INFINITY });
    expect(m.status()).toEqual([]);
  });
});
