// State that many instances of a service must agree on: tenant spend windows, request-rate
// windows, circuit breakers and the live statistics behind adaptive choices.
// `memoryState()` serves one process; `redisState()` in @routelang/redis serves a fleet
// (docs/deployment.md). A host may bring its own store: only `get` and `add` are required,
// and the runtime falls back to them for what a store does not implement.

import type { Breakers } from './breaker.js';
import type { ModelStats } from './stats.js';

/** A reservation of spend, made by `StateStore.reserve`: settled once, to the actual cost (0 releases it). */
export interface Reservation {
  settle(cost: number): void | Promise<void>;
}

/**
 * Thrown (or rejected) by a strict store that cannot reach its shared state: the runtime
 * refuses the budgeted call (`state_unavailable`) rather than risk passing the budget.
 */
export class StateUnavailableError extends Error {
  override readonly name = 'StateUnavailableError';
}

/** What a router shares with its fleet through `StateStore.join`. */
export interface LocalState {
  readonly breakers: Breakers;
  readonly stats: ModelStats;
}

/** Counters by key, and optionally the fleet-wide pieces. Implementations may be asynchronous. */
export interface StateStore {
  /** The counter's value (0 when unknown). */
  get(key: string): number | Promise<number>;
  /** Adds to the counter; `ttlMs` says how long the key needs to live. Returns the new value. */
  add(key: string, amount: number, ttlMs: number): number | Promise<number>;
  /**
   * Atomically adds `amount` to the counter when the sum stays within `limit`: the
   * reservation, or undefined when it would pass the limit (nothing added). Without it the
   * runtime adds, compares and takes back (never over the limit, but it may refuse a call
   * that a concurrent refusal would have let through).
   */
  reserve?(key: string, amount: number, limit: number, ttlMs: number): Reservation | undefined | Promise<Reservation | undefined>;
  /**
   * Counts one request against a sliding window of `windowMs` holding at most `limit`:
   * 0 when it is allowed, else the milliseconds until one is.
   */
  take?(key: string, limit: number, windowMs: number): number | Promise<number>;
  /** Connects a router's circuit breakers and statistics to the fleet; returns the disconnect. */
  join?(local: LocalState): () => void;
  /** Ends the store's connections and timers (after settling what it holds). */
  close?(): Promise<void>;
  /** Reports the store's health (a shared store going down, coming back, falling back); returns the unsubscribe. */
  watch?(listener: (event: StateEvent) => void): () => void;
}

/** What a shared store reports about itself (`StateStore.watch`). */
export type StateEvent =
  /** One operation could not reach the shared state: it used this instance's (`open`) or was refused (`strict`). */
  | { readonly type: 'fallback'; readonly op: StateOperation; readonly mode: 'open' | 'strict'; readonly error: string }
  /** The shared state became unreachable. */
  | { readonly type: 'down'; readonly error: string }
  /** It is back; `replayed` operations kept during the outage were applied to it. */
  | { readonly type: 'up'; readonly replayed: number };

/** The operations of a state store, as `StateEvent`s name them. */
export type StateOperation = 'get' | 'add' | 'reserve' | 'settle' | 'take' | 'breaker' | 'stats';

interface Entry {
  value: number;
  expires: number;
}

/** An in-process store. Keys expire lazily; a sweep bounds the memory of expired windows. */
export function memoryState(now: () => number = Date.now): StateStore {
  const values = new Map<string, Entry>();
  const windows = new RateWindows(now);
  const live = (key: string): Entry | undefined => {
    const entry = values.get(key);
    if (entry && entry.expires <= now()) {
      values.delete(key);
      return undefined;
    }
    return entry;
  };
  const add = (key: string, amount: number, ttlMs: number): number => {
    const entry = live(key) ?? { value: 0, expires: now() + ttlMs };
    entry.value += amount;
    values.set(key, entry);
    return entry.value;
  };
  return {
    get: (key) => live(key)?.value ?? 0,
    add,
    reserve: (key, amount, limit, ttlMs) => {
      if ((live(key)?.value ?? 0) + amount > limit + 1e-12) return undefined;
      add(key, amount, ttlMs);
      let open = true;
      return {
        settle: (cost) => {
          if (!open) return;
          open = false;
          add(key, cost - amount, ttlMs);
        },
      };
    },
    take: (key, limit, windowMs) => windows.take(key, limit, windowMs),
  };
}

/**
 * Sliding request-rate windows by key: each window counts in 60 buckets of `windowMs / 60`,
 * so memory per key is constant whatever the limit. Windows idle for a whole period are
 * swept once there are many keys.
 */
export class RateWindows {
  private readonly windows = new Map<string, { buckets: Int32Array; slot: number; total: number; size: number }>();

  constructor(private readonly now: () => number = Date.now) {}

  /** Counts one request for `key`: 0 when allowed, else the milliseconds until one is. */
  take(key: string, limit: number, windowMs: number): number {
    const size = Math.max(1, windowMs / 60);
    const t = this.now();
    const slot = Math.floor(t / size);
    let w = this.windows.get(key);
    if (!w || w.size !== size) {
      if (this.windows.size > 100_000) this.sweep(t);
      w = { buckets: new Int32Array(60), slot, total: 0, size };
      this.windows.set(key, w);
    }
    // Empty the buckets the clock moved past.
    const moved = Math.min(60, slot - w.slot);
    for (let i = 1; i <= moved; i++) {
      const at = (w.slot + i) % 60;
      w.total -= w.buckets[at] as number;
      w.buckets[at] = 0;
    }
    w.slot = Math.max(w.slot, slot);
    if (w.total >= limit) {
      // The oldest non-empty bucket frees up first.
      for (let age = 59; age >= 0; age--) if ((w.buckets[(slot - age + 60) % 60] as number) > 0) return Math.max(1, Math.ceil((slot - age + 60) * size - t));
      return windowMs;
    }
    w.buckets[slot % 60] = (w.buckets[slot % 60] as number) + 1;
    w.total++;
    return 0;
  }

  private sweep(t: number): void {
    for (const [key, w] of this.windows) if (Math.floor(t / w.size) - w.slot >= 60) this.windows.delete(key);
  }
}

/** Reserves through the store's `reserve`, or through `add` for a store without it. */
export async function reserveIn(store: StateStore, key: string, amount: number, limit: number, ttlMs: number): Promise<Reservation | undefined> {
  if (store.reserve) return store.reserve(key, amount, limit, ttlMs);
  const after = await store.add(key, amount, ttlMs);
  if (after > limit + 1e-12) {
    await store.add(key, -amount, ttlMs);
    return undefined;
  }
  let open = true;
  return {
    settle: async (cost) => {
      if (!open) return;
      open = false;
      await store.add(key, cost - amount, ttlMs);
    },
  };
}

const PERIOD_MS = { day: 86_400_000, hour: 3_600_000 } as const;

/** The key and lifetime of a tenant's spend counter for the current window. */
export function tenantWindow(tenant: string, period: 'day' | 'hour', now: number): { key: string; ttlMs: number } {
  const size = PERIOD_MS[period];
  const index = Math.floor(now / size);
  return { key: `routelang:spend:${period}:${index}:${tenant}`, ttlMs: size - (now % size) };
}
