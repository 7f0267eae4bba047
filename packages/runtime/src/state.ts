// Shared state for what many instances of a service must agree on (today: tenant spend).
// `memoryState()` serves one process; a Redis-backed store implements the same interface
// for a fleet (INCRBYFLOAT on the same keys, with an expiry of one window).

/** Counters by key. Implementations may be asynchronous. */
export interface StateStore {
  /** The counter's value (0 when unknown). */
  get(key: string): number | Promise<number>;
  /** Adds to the counter; `ttlMs` says how long the key needs to live. Returns the new value. */
  add(key: string, amount: number, ttlMs: number): number | Promise<number>;
}

/** An in-process store. Keys expire lazily. */
export function memoryState(now: () => number = Date.now): StateStore {
  const values = new Map<string, { value: number; expires: number }>();
  const live = (key: string): { value: number; expires: number } | undefined => {
    const entry = values.get(key);
    if (entry && entry.expires <= now()) {
      values.delete(key);
      return undefined;
    }
    return entry;
  };
  return {
    get: (key) => live(key)?.value ?? 0,
    add: (key, amount, ttlMs) => {
      const entry = live(key) ?? { value: 0, expires: now() + ttlMs };
      entry.value += amount;
      values.set(key, entry);
      return entry.value;
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
