import { describe, expect, it } from 'vitest';
import { Breakers, CircuitBreaker } from './breaker.js';

describe('CircuitBreaker', () => {
  const options = { window: 10, minCalls: 4, failureRate: 0.5, openMs: 1_000 };

  it('opens when the failure rate crosses the threshold, not before minCalls', () => {
    let now = 0;
    const b = new CircuitBreaker(options, () => now);
    b.record(false);
    b.record(false);
    b.record(false);
    expect(b.current()).toBe('closed'); // three outcomes: under minCalls
    b.record(true);
    expect(b.current()).toBe('open'); // 3 failures of 4
    expect(b.allow()).toBe(false);
    now = 999;
    expect(b.allow()).toBe(false);
  });

  it('lets one probe through when half-open; its success closes, its failure reopens', () => {
    let now = 0;
    const b = new CircuitBreaker(options, () => now);
    for (let i = 0; i < 4; i++) b.record(false);
    now = 1_000;
    expect(b.current()).toBe('half_open');
    expect(b.allow()).toBe(true);
    expect(b.allow()).toBe(false); // one probe at a time
    b.record(false);
    expect(b.current()).toBe('open');
    now = 2_000;
    expect(b.allow()).toBe(true);
    b.record(true);
    expect(b.current()).toBe('closed');
    expect(b.allow()).toBe(true);
  });

  it('frees the probe slot when the probe is cancelled, and expires a probe lost without an outcome', () => {
    let now = 0;
    const b = new CircuitBreaker(options, () => now);
    for (let i = 0; i < 4; i++) b.record(false);
    now = 1_000;
    expect(b.allow()).toBe(true);
    b.release(); // the caller cancelled the probe
    expect(b.allow()).toBe(true); // another probe may go
    expect(b.allow()).toBe(false);
    now = 1_999;
    expect(b.allow()).toBe(false); // the probe is still in flight
    now = 2_000;
    expect(b.allow()).toBe(true); // lost for a whole cool-down: the slot expires
    b.record(true);
    expect(b.current()).toBe('closed');
  });

  it('remembers only the last `window` outcomes: old failures age out, the window holds exactly `window`', () => {
    const b = new CircuitBreaker({ window: 4, minCalls: 4, failureRate: 0.5, openMs: 1_000 }, () => 0);
    for (const outcome of [false, true, true, true, true]) b.record(outcome); // the failure ages out
    b.record(false);
    expect(b.current()).toBe('closed'); // [s, s, s, f]: 1 of 4
    b.record(false);
    expect(b.current()).toBe('open'); // [s, s, f, f]: 2 of 4, at the threshold
  });

  it('opens at exactly the failure rate, not only above it', () => {
    const b = new CircuitBreaker({ window: 10, minCalls: 4, failureRate: 0.5, openMs: 1_000 }, () => 0);
    for (const outcome of [true, false, true, false]) b.record(outcome);
    expect(b.current()).toBe('open');
  });

  it('starts a fresh window when a probe closes the circuit', () => {
    let now = 0;
    const b = new CircuitBreaker(options, () => now);
    for (let i = 0; i < 4; i++) b.record(false);
    now = 1_000;
    expect(b.allow()).toBe(true);
    b.record(true); // the probe succeeds: closed, with no outcomes remembered
    for (let i = 0; i < 3; i++) b.record(false);
    expect(b.current()).toBe('closed'); // three outcomes: under minCalls (4)
    b.record(false);
    expect(b.current()).toBe('open');
  });

  it('stays closed under a failure rate below the threshold', () => {
    const b = new CircuitBreaker(options, () => 0);
    for (let i = 0; i < 20; i++) b.record(i % 3 !== 2); // success, success, failure: never more than one in three
    expect(b.current()).toBe('closed');
  });
});

describe('Breakers in a fleet', () => {
  const options = { window: 10, minCalls: 2, failureRate: 0.5, openMs: 1_000 };

  /** A fleet that records what it is told and answers probe claims from a queue. */
  function fleet(claims: (boolean | Error)[] = []) {
    const told: string[] = [];
    return {
      told,
      opened: (model: string, openMs: number) => told.push(`opened ${model} ${openMs}`),
      closed: (model: string) => told.push(`closed ${model}`),
      claimProbe: (model: string, ttlMs: number) => {
        told.push(`claim ${model} ${ttlMs}`);
        const next = claims.shift() ?? true;
        return next instanceof Error ? Promise.reject(next) : Promise.resolve(next);
      },
    };
  }

  it('tells the fleet when a circuit opens and when its probe closes it', async () => {
    let now = 0;
    const breakers = new Breakers(options, () => now);
    const f = fleet();
    breakers.share(f);
    breakers.of('m').record(false);
    breakers.of('m').record(false);
    expect(f.told).toEqual(['opened m 1000']);
    expect(breakers.admit('m')).toBe(false);
    now = 1_000;
    expect(await breakers.admit('m')).toBe(true);
    expect(f.told.at(-1)).toBe('claim m 1000');
    breakers.of('m').record(true);
    expect(f.told.at(-1)).toBe('closed m');
    // Closed: calls pass without asking the fleet.
    expect(breakers.admit('m')).toBe(true);
    expect(f.told).toHaveLength(3);
  });

  it('adopts the fleet’s transitions without echoing them', () => {
    let now = 0;
    const breakers = new Breakers(options, () => now);
    const f = fleet();
    breakers.share(f);
    breakers.apply('m', { open: true, remainingMs: 400 });
    expect(breakers.states()).toEqual({ m: 'open' });
    now = 399;
    expect(breakers.admit('m')).toBe(false);
    now = 400; // the cool-down the fleet had left, not a fresh one
    expect(breakers.of('m').current()).toBe('half_open');
    breakers.apply('m', { open: false });
    expect(breakers.states()).toEqual({ m: 'closed' });
    expect(f.told).toEqual([]);
  });

  it('refuses when another instance holds the probe, and frees the local slot for the next try', async () => {
    let now = 0;
    const breakers = new Breakers(options, () => now);
    breakers.share(fleet([false, true]));
    breakers.apply('m', { open: true, remainingMs: 10 });
    now = 10;
    expect(await breakers.admit('m')).toBe(false);
    expect(await breakers.admit('m')).toBe(true);
  });

  it('lets its own breaker decide when the fleet cannot answer', async () => {
    let now = 0;
    const breakers = new Breakers(options, () => now);
    breakers.share(fleet([new Error('unreachable')]));
    breakers.apply('m', { open: true, remainingMs: 10 });
    now = 10;
    expect(await breakers.admit('m')).toBe(true);
    expect(breakers.admit('m')).toBe(false); // the local probe slot is taken
  });

  it('works alone once the fleet is gone', () => {
    const breakers = new Breakers(options, () => 0);
    const f = fleet();
    breakers.share(f);
    breakers.share(undefined);
    breakers.of('m').record(false);
    breakers.of('m').record(false);
    expect(f.told).toEqual([]);
    expect(breakers.admit('m')).toBe(false);
  });
});
