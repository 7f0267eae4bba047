import { describe, expect, it } from 'vitest';
import { memoryState, RateWindows, reserveIn, type StateStore, tenantWindow } from './state.js';
import { ModelStats } from './stats.js';

describe('memoryState reservations', () => {
  it('grant while the sum stays within the limit, settle to the cost once, and expire with the window', async () => {
    let now = 0;
    const s = memoryState(() => now);
    const a = await s.reserve?.('k', 0.6, 1, 100);
    expect(a).toBeDefined();
    expect(await s.reserve?.('k', 0.5, 1, 100)).toBeUndefined();
    expect(s.get('k')).toBeCloseTo(0.6, 12);
    const b = await s.reserve?.('k', 0.4, 1, 100); // exactly the limit
    expect(b).toBeDefined();
    await a?.settle(0.1);
    await a?.settle(0.9); // ignored
    expect(s.get('k')).toBeCloseTo(0.5, 12);
    await b?.settle(0);
    expect(s.get('k')).toBeCloseTo(0.1, 12);
    now = 100;
    expect(s.get('k')).toBe(0);
  });

  it('reserveIn gives a store with only get and add the same contract', async () => {
    const inner = memoryState();
    const plain: StateStore = { get: (k) => inner.get(k), add: (k, a, t) => inner.add(k, a, t) };
    const a = await reserveIn(plain, 'k', 0.7, 1, 1_000);
    expect(await reserveIn(plain, 'k', 0.7, 1, 1_000)).toBeUndefined();
    expect(plain.get('k')).toBeCloseTo(0.7, 12); // the refused one was taken back
    await a?.settle(0.2);
    await a?.settle(0.2);
    expect(plain.get('k')).toBeCloseTo(0.2, 12);
  });
});

describe('reserveIn and tenant windows', () => {
  it('uses a store’s own atomic reservation when it has one', async () => {
    const inner = memoryState();
    const calls: string[] = [];
    const store: StateStore = {
      get: (k) => inner.get(k),
      add: (k, a, t) => {
        calls.push('add');
        return inner.add(k, a, t);
      },
      reserve: (k, a, l, t) => {
        calls.push('reserve');
        return inner.reserve?.(k, a, l, t);
      },
    };
    await reserveIn(store, 'k', 1, 2, 1_000);
    expect(calls).toEqual(['reserve']);
  });

  it('names the window by its index and lives until the window ends', () => {
    const hour = 3_600_000;
    expect(tenantWindow('acme', 'hour', 5 * hour + 1_000)).toEqual({ key: 'routelang:spend:hour:5:acme', ttlMs: hour - 1_000 });
    expect(tenantWindow('acme', 'day', 86_400_000 * 2)).toEqual({ key: 'routelang:spend:day:2:acme', ttlMs: 86_400_000 });
  });
});

describe('RateWindows', () => {
  it('through memoryState: the same windows', () => {
    let now = 0;
    const s = memoryState(() => now);
    expect([s.take?.('k', 1, 60_000), s.take?.('k', 1, 60_000)]).toEqual([0, 60_000]);
    now = 60_000;
    expect(s.take?.('k', 1, 60_000)).toBe(0);
  });

  it('counts the wait from the request that frees up first, inside its bucket', () => {
    let now = 500;
    const w = new RateWindows(() => now);
    w.take('a', 1, 60_000);
    now = 700;
    expect(w.take('a', 1, 60_000)).toBe(59_300); // the bucket [0, 1000) leaves the window at 60,000
  });

  it('allows the limit in a sliding window and says when the next request may come', () => {
    let now = 0;
    const w = new RateWindows(() => now);
    expect([w.take('a', 2, 60_000), w.take('a', 2, 60_000)]).toEqual([0, 0]);
    expect(w.take('b', 2, 60_000)).toBe(0); // keys apart
    now = 30_000;
    expect(w.take('a', 2, 60_000)).toBe(30_000);
    now = 59_999;
    expect(w.take('a', 2, 60_000)).toBe(1);
    now = 60_000;
    expect(w.take('a', 2, 60_000)).toBe(0);
    expect(w.take('a', 2, 60_000)).toBe(0);
    expect(w.take('a', 2, 60_000)).toBeGreaterThan(0);
  });

  it('slides bucket by bucket: old requests leave the window one by one', () => {
    let now = 0;
    const w = new RateWindows(() => now);
    w.take('a', 2, 6_000);
    now = 3_000;
    w.take('a', 2, 6_000);
    expect(w.take('a', 2, 6_000)).toBe(3_000);
    now = 6_000; // the first left, the second is still in
    expect(w.take('a', 2, 6_000)).toBe(0);
    expect(w.take('a', 2, 6_000)).toBe(3_000);
  });
});

describe('ModelStats in a fleet', () => {
  it('uses its own weighted means until the fleet answers, then the fleet’s with its own new observations', () => {
    const s = new ModelStats();
    s.share();
    s.recordLatency('m', 100);
    s.recordLatency('m', 200);
    expect(s.latencyOf({ name: 'm' })).toBeCloseTo(120, 9); // 100 × 0.8 + 200 × 0.2
    const batch = s.drain();
    expect(batch.latency).toEqual({ m: { sum: 300, count: 2 } });
    expect(s.drain().latency).toEqual({});
    s.merge({ latency: { m: { sum: 900, weight: 3 } }, score: {} });
    expect(s.latencyOf({ name: 'm' })).toBe(300);
    s.recordLatency('m', 700);
    expect(s.latencyOf({ name: 'm' })).toBe(400); // (900 + 700) / (3 + 1)
    expect(s.scoreOf('m')).toBe(1); // nothing known: tried first
    expect(s.latencyOf({ name: 'other', latencyMs: 50 })).toBe(50);
  });

  it('keeps a batch the fleet could not take for the next drain', () => {
    const s = new ModelStats();
    s.share();
    s.recordScore('m', 0.5);
    const batch = s.drain();
    s.recordScore('m', 1);
    s.restore(batch);
    expect(s.drain().score).toEqual({ m: { sum: 1.5, count: 2 } });
  });

  it('ignores a fleet entry with no weight, and restores into an empty batch', () => {
    const s = new ModelStats();
    s.share();
    s.recordLatency('m', 100);
    const batch = s.drain();
    s.merge({ latency: { m: { sum: 0, weight: 0 } }, score: {} });
    expect(s.latencyOf({ name: 'm' })).toBe(100);
    s.restore(batch);
    expect(s.drain().latency).toEqual({ m: { sum: 100, count: 1 } });
  });

  it('keeps nothing for a fleet it is not in', () => {
    const s = new ModelStats();
    s.recordLatency('m', 100);
    expect(s.drain()).toEqual({ latency: {}, score: {} });
  });
});
