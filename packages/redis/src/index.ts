// @routelang/redis: the state a fleet of routers and gateways shares, on Redis or Valkey.
//
//   const router = await Router.load(ir, { state: redisState('redis://127.0.0.1:6379/0') });
//
// What is shared (docs/deployment.md): tenant spend windows (reserve before a call, settle
// after, atomically, by Lua scripts), request-rate windows, circuit breakers (an open
// circuit is open on every instance; one instance sends the half-open probe), and the live
// statistics behind `fastest` and `best by` (merged across instances with time decay).
//
// Failure: every operation has a short timeout, and nothing waits for a reconnection.
// Mode `open` (the default) keeps serving on this instance's own state while the shared
// state is unreachable; mode `strict` refuses budgeted calls (`state_unavailable`). Either
// way settlements made during the outage are kept and applied when the connection returns,
// and every fallback is reported through `watch()`.
//
// A separate package so that @routelang/runtime stays free of a Redis client.

import { randomUUID } from 'node:crypto';
import {
  type FleetStats,
  type LocalState,
  memoryState,
  RateWindows,
  type Reservation,
  type StateEvent,
  type StateOperation,
  type StateStore,
  StateUnavailableError,
  type StatsBatch,
} from '@routelang/runtime';
import { Redis, type RedisOptions } from 'ioredis';
import { ADD, BREAKER_CLOSE, BREAKER_OPEN, BREAKERS_OPEN, RESERVE, type ScriptSource, SETTLE, STATS, TAKE } from './scripts.js';

/** Options of `redisState`. Every one has a default. */
export interface RedisStateOptions {
  /** `redis://[user:password@]HOST:PORT/DB` (or `rediss://` for TLS, `valkey://`); default `redis://127.0.0.1:6379/0`. */
  readonly url?: string;
  /** `open` (default): serve on local state while the shared state is unreachable; `strict`: refuse budgeted calls. */
  readonly mode?: 'open' | 'strict';
  /** The longest one operation may take before it counts as failed (default 100 ms). */
  readonly timeoutMs?: number;
  /** Prepended to every key and channel, to keep several fleets apart on one server (default none). */
  readonly keyPrefix?: string;
  /** How often this instance's observations are merged with the fleet's (default 1,000 ms). */
  readonly syncMs?: number;
  /** The half-life of the fleet's statistics: an observation this old counts half (default 60,000 ms). */
  readonly halfLifeMs?: number;
  /** The local clock, for the fallback state (default `Date.now`). */
  readonly now?: () => number;
}

/** A Redis-backed `StateStore`, with what a deployment needs besides. */
export interface RedisState extends StateStore {
  /** Resolves once connected (true), or after `ms` without a connection (false); the store works either way. */
  ready(ms?: number): Promise<boolean>;
  /** Whether the shared state is reachable now. */
  readonly connected: boolean;
  /** Operations kept during an outage, waiting to be applied. */
  readonly pending: number;
  /** Applies what is pending and merges statistics now (what the timers do). */
  flush(): Promise<void>;
  readonly mode: 'open' | 'strict';
  reserve(key: string, amount: number, limit: number, ttlMs: number): Promise<Reservation | undefined>;
  take(key: string, limit: number, windowMs: number): Promise<number>;
  /** Connects a router's breakers and statistics to the fleet; returns the disconnect. */
  join(local: LocalState): () => void;
  /** Applies what is pending when it can, merges statistics a last time, and closes the connections. */
  close(): Promise<void>;
  /** Reports the store's health; a new listener first hears the current status (`up` or `down`). */
  watch(listener: (event: StateEvent) => void): () => void;
}

type Script = (...args: (string | number)[]) => Promise<unknown>;

const SCRIPTS = {
  reserve: RESERVE,
  settle: SETTLE,
  add: ADD,
  take: TAKE,
  breakerOpen: BREAKER_OPEN,
  breakerClose: BREAKER_CLOSE,
  breakersOpen: BREAKERS_OPEN,
  stats: STATS,
};

/** A settle kept during an outage: replayed through the SETTLE script (exact whether or not its reservation reached the server). */
interface PendingSettle {
  readonly key: string;
  readonly token: string;
  readonly cost: number;
  readonly ttlMs: number;
}

/**
 * Parses the URL's routelang options (`mode`, `timeout_ms`, `prefix`) off its query, so a
 * whole configuration fits in one string (`--state`, `Router.load({ state })`).
 */
export function parseStateUrl(url: string): { url: string; options: Omit<RedisStateOptions, 'url'> } {
  const parsed = new URL(url);
  const options: { mode?: 'open' | 'strict'; timeoutMs?: number; keyPrefix?: string } = {};
  const mode = parsed.searchParams.get('mode');
  if (mode !== null) {
    if (mode !== 'open' && mode !== 'strict') throw new Error(`the state URL's mode must be open or strict, not \`${mode}\``);
    options.mode = mode;
  }
  const timeout = parsed.searchParams.get('timeout_ms');
  if (timeout !== null) {
    const ms = Number(timeout);
    if (!Number.isFinite(ms) || ms <= 0) throw new Error(`the state URL's timeout_ms must be a positive number of milliseconds, not \`${timeout}\``);
    options.timeoutMs = ms;
  }
  const prefix = parsed.searchParams.get('prefix');
  if (prefix !== null) options.keyPrefix = prefix;
  for (const name of ['mode', 'timeout_ms', 'prefix']) parsed.searchParams.delete(name);
  if (parsed.protocol === 'valkey:') parsed.protocol = 'redis:';
  return { url: parsed.toString(), options };
}

/**
 * A state store on Redis or Valkey for a fleet of routers and gateways. Takes a URL (with
 * optional `?mode=strict&timeout_ms=50&prefix=…`) or options.
 *
 * @example
 * const state = redisState({ url: 'redis://10.0.0.5:6379/0', mode: 'strict' });
 * const router = await Router.load(ir, { state, adapters });
 * // … on shutdown:
 * await router.close();
 * await state.close();
 */
export function redisState(config: string | RedisStateOptions = {}): RedisState {
  const given: RedisStateOptions = typeof config === 'string' ? { url: config } : config;
  const fromUrl = given.url !== undefined ? parseStateUrl(given.url) : undefined;
  // Options given beside the URL win over those in its query.
  const options: RedisStateOptions = { ...fromUrl?.options, ...given };
  const url = fromUrl?.url ?? 'redis://127.0.0.1:6379/0';
  const mode = options.mode ?? 'open';
  const timeoutMs = options.timeoutMs ?? 100;
  const prefix = options.keyPrefix ?? '';
  const syncMs = options.syncMs ?? 1_000;
  const halfLifeMs = options.halfLifeMs ?? 60_000;
  const now = options.now ?? Date.now;
  const self = randomUUID();
  const channel = `${prefix}routelang:breakers`;

  const redisOptions: RedisOptions = {
    keyPrefix: prefix,
    commandTimeout: timeoutMs,
    connectTimeout: Math.max(500, timeoutMs * 5),
    // A request never waits for a connection: with no connection, commands fail at once.
    enableOfflineQueue: false,
    maxRetriesPerRequest: 0,
    // Reconnect for ever, backing off to a retry a second.
    retryStrategy: (times) => Math.min(1_000, 50 * 2 ** Math.min(times, 5)),
    lazyConnect: false,
  };
  const client = new Redis(url, redisOptions);
  const subscriber = client.duplicate({ enableOfflineQueue: true, commandTimeout: undefined });
  const scripts = {} as Record<keyof typeof SCRIPTS, Script>;
  for (const [name, source] of Object.entries(SCRIPTS) as [keyof typeof SCRIPTS, ScriptSource][]) {
    client.defineCommand(`routelang_${name}`, { lua: source.lua, numberOfKeys: source.keys });
    const command = (client as unknown as Record<string, Script>)[`routelang_${name}`] as Script;
    scripts[name] = (...args) => command.apply(client, args);
  }

  // What this instance knows while the shared state is unreachable: the last values read
  // from it, plus what happened here since. Settles wait in `pending` for the connection.
  const local = memoryState(now);
  const windows = new RateWindows(now);
  const pending: PendingSettle[] = [];
  const pendingAdds = new Map<string, { amount: number; ttlMs: number }>();
  const listeners = new Set<(event: StateEvent) => void>();
  let up = false;
  let closed = false;
  let joined: LocalState | undefined;
  let syncTimer: ReturnType<typeof setInterval> | undefined;
  let flushing: Promise<void> | undefined;

  const emit = (event: StateEvent): void => {
    for (const listener of listeners) {
      try {
        listener(event);
      } catch {
        // A listener's failure is its own.
      }
    }
  };
  const errorText = (error: unknown): string => (error instanceof Error ? error.message : String(error));
  const fellBack = (op: StateOperation, error: unknown): void => emit({ type: 'fallback', op, mode, error: errorText(error) });
  /** Mirrors a value read from the shared state into the local one. */
  const remember = (key: string, value: number, ttlMs: number): void => {
    const known = local.get(key) as number;
    if (known !== value) local.add(key, value - known, ttlMs);
  };

  client.on('error', () => {
    // Reported through 'close' and each failed operation; ioredis needs a listener.
  });
  subscriber.on('error', () => {});
  client.on('close', () => {
    if (!up) return;
    up = false;
    emit({ type: 'down', error: 'the connection to the shared state closed' });
  });
  client.on('ready', () => {
    up = true;
    void reconcile();
  });
  subscriber.on('message', (_channel: string, text: string) => {
    if (!joined) return;
    let event: { from?: unknown; model?: unknown; open?: unknown; remainingMs?: unknown };
    try {
      event = JSON.parse(text) as typeof event;
    } catch {
      return;
    }
    if (event.from === self || typeof event.model !== 'string') return;
    if (event.open === true && typeof event.remainingMs === 'number') joined.breakers.apply(event.model, { open: true, remainingMs: event.remainingMs });
    else if (event.open === false) joined.breakers.apply(event.model, { open: false });
  });
  void subscriber.subscribe(channel).catch(() => {});

  /** On (re)connection: apply what was kept during the outage, and learn the fleet's open circuits. */
  async function reconcile(): Promise<void> {
    const replayed = pending.length + pendingAdds.size;
    await flush();
    if (joined) await loadBreakers(joined);
    if (up) emit({ type: 'up', replayed });
  }

  async function loadBreakers(target: LocalState): Promise<void> {
    try {
      const open = (await scripts.breakersOpen(`routelang:breakers:open`)) as string[];
      for (let i = 0; i + 1 < open.length; i += 2) target.breakers.apply(open[i] as string, { open: true, remainingMs: Number(open[i + 1]) });
    } catch (error) {
      fellBack('breaker', error);
    }
  }

  /** Applies the operations kept during an outage, in order, then merges statistics; one flush at a time. */
  function flush(): Promise<void> {
    if (flushing) return flushing;
    const run = (async () => {
      try {
        while (up && pending.length > 0) {
          const p = pending[0] as PendingSettle;
          await scripts.settle(p.key, reservationKey(p.token), String(p.cost), Math.max(1, Math.ceil(p.ttlMs)));
          pending.shift();
        }
        for (const [key, p] of [...pendingAdds]) {
          if (!up) break;
          await scripts.add(key, String(p.amount), Math.max(1, Math.ceil(p.ttlMs)));
          pendingAdds.delete(key);
        }
        if (joined) await syncStats(joined);
      } catch {
        // Still unreachable: what is pending stays pending.
      }
    })();
    flushing = run;
    void run.finally(() => {
      if (flushing === run) flushing = undefined;
    });
    return run;
  }

  async function syncStats(target: LocalState): Promise<void> {
    const batch: StatsBatch = target.stats.drain();
    const args: (string | number)[] = [halfLifeMs];
    for (const metric of ['latency', 'score'] as const) {
      for (const [model, { sum, count }] of Object.entries(batch[metric])) args.push(`${metric}\u0000${model}`, String(sum), String(count));
    }
    if (!up) {
      target.stats.restore(batch);
      return;
    }
    try {
      const flat = (await scripts.stats('routelang:stats', ...args)) as string[];
      const fleet: { latency: Record<string, { sum: number; weight: number }>; score: Record<string, { sum: number; weight: number }> } = {
        latency: {},
        score: {},
      };
      for (let i = 0; i + 2 < flat.length; i += 3) {
        const [metric, model] = (flat[i] as string).split('\u0000') as [string, string];
        if (metric === 'latency' || metric === 'score') fleet[metric][model] = { sum: Number(flat[i + 1]), weight: Number(flat[i + 2]) };
      }
      target.stats.merge(fleet satisfies FleetStats);
    } catch (error) {
      target.stats.restore(batch);
      fellBack('stats', error);
    }
  }

  const reservationKey = (token: string): string => `routelang:reservation:${token}`;

  /** Keeps a settle for later (the shared state is unreachable) and books it locally now. */
  function keep(settle: PendingSettle, reservedLocally: number): void {
    pending.push(settle);
    local.add(settle.key, settle.cost - reservedLocally, settle.ttlMs);
  }

  const store: RedisState = {
    mode,
    get connected() {
      return up;
    },
    get pending() {
      return pending.length + pendingAdds.size;
    },

    async get(key) {
      try {
        const value = Number((await client.get(key)) ?? 0);
        remember(key, value, 60_000);
        return value;
      } catch (error) {
        fellBack('get', error);
        return local.get(key);
      }
    },

    async add(key, amount, ttlMs) {
      try {
        const value = Number(await scripts.add(key, String(amount), Math.max(1, Math.ceil(ttlMs))));
        remember(key, value, ttlMs);
        return value;
      } catch (error) {
        fellBack('add', error);
        const p = pendingAdds.get(key);
        pendingAdds.set(key, { amount: (p?.amount ?? 0) + amount, ttlMs });
        return local.add(key, amount, ttlMs);
      }
    },

    async reserve(key, amount, limit, ttlMs): Promise<Reservation | undefined> {
      const token = randomUUID();
      const ttl = Math.max(1, Math.ceil(ttlMs));
      let reply: [number, string] | undefined;
      let sent = up;
      try {
        if (!up) throw new Error('the shared state is unreachable');
        reply = (await scripts.reserve(key, reservationKey(token), String(amount), String(limit), ttl)) as [number, string];
      } catch (error) {
        fellBack('reserve', error);
        // A reply lost to the timeout may hide a reservation the server made: a settle of 0
        // replayed later takes it back (the SETTLE script checks).
        if (sent) pending.push({ key, token, cost: 0, ttlMs });
        sent = false;
        if (mode === 'strict') throw new StateUnavailableError(`the shared state did not answer: ${errorText(error)}`);
        const kept = local.reserve?.(key, amount, limit, ttlMs) as Reservation | undefined;
        if (!kept) return undefined;
        let open = true;
        return {
          settle: (cost) => {
            if (!open) return;
            open = false;
            // Booked locally now; the full cost goes to the shared state later.
            keep({ key, token, cost, ttlMs }, amount);
          },
        };
      }
      remember(key, Number(reply[1]), ttlMs);
      if (reply[0] !== 1) return undefined;
      let open = true;
      return {
        settle: async (cost) => {
          if (!open) return;
          open = false;
          try {
            remember(key, Number(await scripts.settle(key, reservationKey(token), String(cost), ttl)), ttlMs);
          } catch (error) {
            fellBack('settle', error);
            keep({ key, token, cost, ttlMs }, amount);
          }
        },
      };
    },

    async take(key, limit, windowMs) {
      try {
        if (!up) throw new Error('the shared state is unreachable');
        return Number(await scripts.take(`routelang:rate:${key}`, limit, windowMs));
      } catch (error) {
        fellBack('take', error);
        return windows.take(key, limit, windowMs);
      }
    },

    join(target) {
      joined = target;
      target.stats.share();
      target.breakers.share({
        opened: (model, openMs) => {
          scripts.breakerOpen('routelang:breakers:open', `routelang:probe:${model}`, model, openMs, channel, self).catch((error) => fellBack('breaker', error));
        },
        closed: (model) => {
          scripts.breakerClose('routelang:breakers:open', `routelang:probe:${model}`, model, channel, self).catch((error) => fellBack('breaker', error));
        },
        claimProbe: async (model, ttlMs) => {
          try {
            if (!up) throw new Error('the shared state is unreachable');
            return (await client.set(`routelang:probe:${model}`, self, 'PX', Math.max(1, Math.ceil(ttlMs)), 'NX')) === 'OK';
          } catch (error) {
            // Unreachable: this instance's own breaker decides.
            fellBack('breaker', error);
            return true;
          }
        },
      });
      if (up) void loadBreakers(target);
      syncTimer = setInterval(() => {
        if (up && !flushing) void syncStats(target);
      }, syncMs);
      syncTimer.unref();
      return () => {
        if (joined !== target) return;
        joined = undefined;
        target.breakers.share(undefined);
        clearInterval(syncTimer);
      };
    },

    watch(listener) {
      listener(up ? { type: 'up', replayed: 0 } : { type: 'down', error: 'not connected yet' });
      listeners.add(listener);
      return () => listeners.delete(listener);
    },

    ready(ms = 2_000) {
      if (up) return Promise.resolve(true);
      return new Promise((resolve) => {
        const timer = setTimeout(() => {
          client.off('ready', onReady);
          resolve(false);
        }, ms);
        const onReady = (): void => {
          clearTimeout(timer);
          resolve(true);
        };
        client.once('ready', onReady);
      });
    },

    flush,

    async close() {
      if (closed) return;
      closed = true;
      clearInterval(syncTimer);
      if (up) await flush();
      listeners.clear();
      up = false;
      await Promise.all([quit(client), quit(subscriber)]);
    },
  };
  return store;
}

/** Ends a connection politely, or at once when the server does not answer. */
async function quit(connection: Redis): Promise<void> {
  if (connection.status === 'end') return;
  try {
    await Promise.race([connection.quit(), new Promise((_, reject) => setTimeout(() => reject(new Error('quit timed out')), 500).unref())]);
  } catch {
    connection.disconnect();
  }
}
