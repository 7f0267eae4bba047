// Shared state on a real redis-server (test/support/redis-server.ts starts Debian's
// redis-server on 127.0.0.1): atomic reservations from two processes, two gateway
// instances holding one tenant's budget, breakers opened on one instance refusing on the
// other with a single probe, shared rate windows and statistics, and Redis killed mid-run
// (fail-open serves, strict refuses with 503, nothing hangs or is lost, both recover).
// The runtime comes from its build, as @routelang/redis and the gateway load it.

import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { compilePolicy } from '../packages/dsl/src/compile.js';
import { type FakeUpstream, type Gateway, startFakeUpstream, startGateway } from '../packages/gateway/src/index.js';
import { type RedisState, redisState } from '../packages/redis/src/index.js';
import { Breakers, ModelStats, type PolicyIR, Rollout, type RolloutEvent, Router, RouterLoadError, type StateEvent } from '../packages/runtime/dist/index.js';
import { type RedisServer, startRedis } from './support/redis-server.js';

const HERE = new URL('.', import.meta.url).pathname;
const ROOT = join(HERE, '..');
const SHARED = join(HERE, 'gateway/shared.route');
const BUDGET = 0.05;

function compiled(file: string): PolicyIR {
  const result = compilePolicy(file);
  if (!result.ir) throw new Error(`${file} does not compile: ${result.diagnostics.map((d) => d.message).join('; ')}`);
  return result.ir;
}

let redis: RedisServer;
/** A plain client for assertions on what the server holds. */
let inspect: Redis;
let fake: FakeUpstream;
const stores: RedisState[] = [];
const gateways: Gateway[] = [];

/** A store on the test server, closed after the file; `prefix` keeps tests apart. */
function store(prefix: string, extra: Parameters<typeof redisState>[0] & object = {}): RedisState {
  const s = redisState({ url: redis.url, keyPrefix: `${prefix}:`, ...extra });
  stores.push(s);
  return s;
}

async function gateway(state: RedisState, router: Record<string, unknown> = {}, limits: Record<string, unknown> = {}): Promise<Gateway> {
  expect(await state.ready(5_000)).toBe(true);
  const g = await startGateway({ ir: compiled(SHARED), router: { upstreams: { openai: fake.url }, state, ...router }, limits });
  gateways.push(g);
  return g;
}

interface Reply {
  readonly status: number;
  readonly cost: number;
  readonly model: string | null;
  readonly code: string | undefined;
}

/** One chat completion; fails the test if it takes more than 10 s (a hang). */
async function ask(g: Gateway, tenant: string, prompt = 'y '.repeat(400)): Promise<Reply> {
  const response = await fetch(`${g.url}/v1/chat/completions`, {
    method: 'POST',
    body: JSON.stringify({ model: 'auto', messages: [{ role: 'user', content: prompt }], metadata: { tenant } }),
    signal: AbortSignal.timeout(10_000),
  });
  const body = (await response.json()) as { error?: { code?: string } };
  return {
    status: response.status,
    cost: Number(response.headers.get('x-routelang-cost') ?? 0),
    model: response.headers.get('x-routelang-model'),
    code: body.error?.code,
  };
}

const calls = (id: string): number => fake.received.filter((r) => r.body.model === id).length;

async function until(what: () => boolean | Promise<boolean>, ms = 5_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await what())) {
    if (Date.now() > deadline) throw new Error('timed out waiting');
    await new Promise((r) => setTimeout(r, 20));
  }
}

beforeAll(async () => {
  redis = await startRedis();
  inspect = new Redis(redis.url, { lazyConnect: true, maxRetriesPerRequest: 1 });
  inspect.on('error', () => {}); // reconnects after the outage test restarts the server
  await inspect.connect();
  fake = await startFakeUpstream();
});

afterAll(async () => {
  for (const g of gateways) await g.close();
  for (const s of stores) await s.close();
  await fake?.close();
  inspect?.disconnect();
  await redis?.stop();
});

describe('reservations', () => {
  it('are atomic under 1,000 concurrent calls from two processes', async () => {
    const key = 'routelang:spend:day:1:two-processes';
    const workers = [0, 1].map(() =>
      spawn(process.execPath, [join(HERE, 'redis/reserve-worker.mjs'), redis.url, key, '500', '700'], { cwd: ROOT, stdio: ['pipe', 'pipe', 'inherit'] }),
    );
    const outputs = workers.map(
      (w) =>
        new Promise<{ granted: number; pending: number }>((resolve, reject) => {
          let text = '';
          w.stdout?.on('data', (c: Buffer) => {
            text += c.toString();
          });
          w.on('exit', (code) => (code === 0 ? resolve(JSON.parse(text) as { granted: number; pending: number }) : reject(new Error(`worker exited ${code}`))));
        }),
    );
    // Both connect first, then start their bursts together.
    await new Promise((r) => setTimeout(r, 1_500));
    for (const w of workers) w.stdin?.end('go\n');
    const results = await Promise.all(outputs);
    // 1,000 reservations of $1 against $700: exactly 700 granted across both processes…
    expect(results[0]?.granted).toBeGreaterThan(0);
    expect(results[1]?.granted).toBeGreaterThan(0);
    expect((results[0]?.granted ?? 0) + (results[1]?.granted ?? 0)).toBe(700);
    expect(results.every((r) => r.pending === 0)).toBe(true);
    // …and each settled to $0.5: the counter holds exactly the settled spend, no reservation left.
    expect(Number(await inspect.get(key))).toBe(350);
    expect(await inspect.dbsize()).toBe(1);
  }, 30_000);

  it('settle to the actual cost and release on refusal, with the key expiring with its window', async () => {
    const s = store('settle');
    await s.ready(5_000);
    const key = 'routelang:spend:hour:7:acme';
    const a = await s.reserve(key, 0.4, 1, 60_000);
    const b = await s.reserve(key, 0.4, 1, 60_000);
    expect(a).toBeDefined();
    expect(b).toBeDefined();
    expect(await s.reserve(key, 0.4, 1, 60_000)).toBeUndefined();
    await a?.settle(0.1);
    await a?.settle(5); // a second settle is ignored
    expect(await s.get(key)).toBeCloseTo(0.5, 12);
    await b?.settle(0);
    expect(await s.get(key)).toBeCloseTo(0.1, 12);
    const ttl = await inspect.pttl(`settle:${key}`);
    expect(ttl).toBeGreaterThan(50_000);
    expect(ttl).toBeLessThanOrEqual(60_000);
  });
});

describe('two gateway instances on one Redis', () => {
  it('hold one tenant’s daily budget together (and without it, spend twice it)', async () => {
    const sa = store('budget');
    sa.watch((e) => console.log('A', e));
    const a = await gateway(sa);
    const b = await gateway(store('budget'));
    const replies = await Promise.all(Array.from({ length: 80 }, (_, i) => ask(i % 2 === 0 ? a : b, 'acme')));
    const served = replies.filter((r) => r.status === 200);
    const spent = served.reduce((sum, r) => sum + r.cost, 0);
    const largest = Math.max(...served.map((r) => r.cost));
    expect(replies.every((r) => r.status === 200 || (r.status === 429 && r.code === 'tenant_budget_exceeded'))).toBe(true);
    expect(served.filter((_, i) => i % 2 === 0).length).toBeGreaterThan(0);
    expect(spent).toBeLessThanOrEqual(BUDGET + largest);
    expect(spent).toBeGreaterThan(BUDGET / 2);
    // What the fleet's counter says is what was spent.
    expect(Number(await inspect.get(await onlyKey('budget:routelang:spend:*')))).toBeCloseTo(spent, 9);
    console.log(
      `two instances, one Redis: budget $${BUDGET}, spent $${spent.toFixed(6)} in ${served.length} of 80 requests (largest call $${largest.toFixed(6)})`,
    );

    // The same two instances each on its own memory: each allows the whole budget.
    const c = await startGateway({ ir: compiled(SHARED), router: { upstreams: { openai: fake.url } } });
    const d = await startGateway({ ir: compiled(SHARED), router: { upstreams: { openai: fake.url } } });
    gateways.push(c, d);
    const apart = await Promise.all(Array.from({ length: 80 }, (_, i) => ask(i % 2 === 0 ? c : d, 'acme')));
    const apartSpent = apart.filter((r) => r.status === 200).reduce((sum, r) => sum + r.cost, 0);
    expect(apartSpent).toBeGreaterThan(BUDGET * 1.5);
  }, 30_000);

  it('share a breaker: opened through A, B routes to the fallback without calling the failed model, and one probe goes out', async () => {
    const breaker = { minCalls: 2, failureRate: 0.5, openMs: 600 };
    const a = await gateway(store('breaker'), { breaker });
    const b = await gateway(store('breaker'), { breaker });
    fake.script('gpt-primary', { kind: 'status', status: 500 });
    try {
      while (a.router.circuits().primary !== 'open') expect((await ask(a, 'breaker-a', 'hi')).model).toBe('backup');
      await until(() => b.router.circuits().primary === 'open');
      const before = calls('gpt-primary');
      const reply = await ask(b, 'breaker-b', 'hi');
      expect(reply.status).toBe(200);
      expect(reply.model).toBe('backup');
      expect(calls('gpt-primary')).toBe(before);

      // After the cool-down one instance in the fleet probes: a slow healthy primary shows
      // that the other requests, on both instances, went to the backup meanwhile.
      fake.script('gpt-primary', { kind: 'echo', delayMs: 400 });
      await new Promise((r) => setTimeout(r, breaker.openMs + 50));
      const burst = await Promise.all(Array.from({ length: 10 }, (_, i) => ask(i % 2 === 0 ? a : b, 'breaker-burst', 'hi')));
      expect(burst.every((r) => r.status === 200)).toBe(true);
      expect(calls('gpt-primary') - before).toBe(1);
      expect(burst.filter((r) => r.model === 'primary')).toHaveLength(1);
      // The probe succeeded: closed on both.
      await until(() => a.router.circuits().primary === 'closed' && b.router.circuits().primary === 'closed');
    } finally {
      fake.script('gpt-primary', undefined);
    }
  }, 30_000);

  it('share the requests-per-minute window', async () => {
    const a = await gateway(store('rpm'), {}, { requestsPerMinute: 5 });
    const b = await gateway(store('rpm'), {}, { requestsPerMinute: 5 });
    const statuses: number[] = [];
    for (let i = 0; i < 8; i++) statuses.push((await ask(i % 2 === 0 ? a : b, 'rpm', 'hi')).status);
    expect(statuses.filter((s) => s === 200)).toHaveLength(5);
    expect(statuses.slice(5)).toEqual([429, 429, 429]);
  });
});

describe('statistics', () => {
  it('merge across instances: each sees the fleet’s mean', async () => {
    const sa = store('stats', { syncMs: 60_000 });
    const sb = store('stats', { syncMs: 60_000 });
    await Promise.all([sa.ready(5_000), sb.ready(5_000)]);
    const [ma, mb] = [new ModelStats(), new ModelStats()];
    const leave = [sa.join({ breakers: new Breakers(), stats: ma }), sb.join({ breakers: new Breakers(), stats: mb })];
    for (let i = 0; i < 10; i++) ma.recordLatency('m', 100);
    for (let i = 0; i < 30; i++) mb.recordLatency('m', 300);
    await sa.flush();
    await sb.flush();
    await sa.flush();
    expect(ma.latencyOf({ name: 'm' })).toBeCloseTo(250, 0);
    expect(mb.latencyOf({ name: 'm' })).toBeCloseTo(250, 0);
    // Observations since the last merge count at once, weighted against the fleet's.
    ma.recordLatency('m', 100);
    expect(ma.latencyOf({ name: 'm' })).toBeCloseTo((250 * 40 + 100) / 41, 0);
    for (const l of leave) l();
  });
});

/** The one key matching `pattern`. */
async function onlyKey(pattern: string): Promise<string> {
  const keys = await inspect.keys(pattern);
  expect(keys).toHaveLength(1);
  return keys[0] as string;
}

describe('Redis killed mid-run', () => {
  it('never hangs or loses a request: open keeps serving, strict refuses budgeted requests with 503, both recover and the spend is reconciled', async () => {
    const open = store('outage', { timeoutMs: 100 });
    const strict = store('outage', { timeoutMs: 100, mode: 'strict' });
    const events: StateEvent[] = [];
    open.watch((e) => events.push(e));
    const a = await gateway(open);
    const b = await gateway(strict);
    let spent = 0;
    const book = (r: Reply): Reply => {
      if (r.status === 200) spent += r.cost;
      return r;
    };
    expect(book(await ask(a, 'outage', 'hi')).status).toBe(200);
    expect(book(await ask(b, 'outage', 'hi')).status).toBe(200);

    // Requests in flight when Redis dies (slow upstream) all get an answer.
    fake.script('gpt-primary', { kind: 'echo', delayMs: 300 });
    const inFlight = Promise.all(Array.from({ length: 10 }, (_, i) => ask(i % 2 === 0 ? a : b, 'outage', 'hi').then(book)));
    await new Promise((r) => setTimeout(r, 100));
    await redis.kill();
    const during = await inFlight;
    fake.script('gpt-primary', undefined);
    expect(during.every((r) => r.status === 200)).toBe(true);

    const started = Date.now();
    const openReplies = await Promise.all(Array.from({ length: 5 }, () => ask(a, 'outage', 'hi').then(book)));
    const strictReplies = await Promise.all(Array.from({ length: 5 }, () => ask(b, 'outage', 'hi').then(book)));
    expect(Date.now() - started).toBeLessThan(5_000);
    expect(openReplies.map((r) => r.status)).toEqual([200, 200, 200, 200, 200]);
    expect(strictReplies.map((r) => [r.status, r.code])).toEqual(Array(5).fill([503, 'state_unavailable']));
    expect(events.some((e) => e.type === 'down')).toBe(true);
    expect(events.some((e) => e.type === 'fallback' && e.op === 'reserve')).toBe(true);
    const metrics = await (await fetch(`${a.url}/metrics`)).text();
    expect(metrics).toMatch(/routelang_state_fallbacks_total\{op="(reserve|settle)",mode="open"\} [1-9]/);
    expect(metrics).toContain('routelang_state_connected 0');
    expect(open.pending).toBeGreaterThan(0);

    await redis.restart();
    await until(() => open.connected && strict.connected && open.pending === 0 && strict.pending === 0, 10_000);
    expect(events.some((e) => e.type === 'up' && e.replayed > 0)).toBe(true);
    expect(book(await ask(a, 'outage', 'hi')).status).toBe(200);
    expect(book(await ask(b, 'outage', 'hi')).status).toBe(200);
    // Every dollar served, before, during and after the outage, is in the shared counter.
    expect(Number(await inspect.get(await onlyKey('outage:routelang:spend:*')))).toBeCloseTo(spent, 9);
  }, 60_000);
});

describe('rollouts on Redis', () => {
  it('move two instances together: one advance, seen by both, reported once', async () => {
    const [sa, sb] = [store('rollout'), store('rollout')];
    await Promise.all([sa.ready(5_000), sb.ready(5_000)]);
    const events: RolloutEvent[] = [];
    const spec = { name: 'r', stages: [10, 100], margin: 0.3, confidence: 0.95, minSamples: 10, rho: 50 };
    const a = new Rollout(spec, sa, (e) => events.push(e), 'p');
    const b = new Rollout(spec, sb, (e) => events.push(e), 'p');
    for (let i = 0; i < 4_000 && events.length === 0; i++) {
      const instance = i % 2 === 0 ? a : b;
      const arm = (i * 7919) % 100 < instance.share() ? 'candidate' : 'control';
      await instance.observe({ arm, value: 1, error: false, latencyMs: 5 });
    }
    await Promise.all([a.refresh(), b.refresh()]);
    expect([a.share(), b.share()]).toEqual([100, 100]);
    expect(events.map((e) => e.action)).toEqual(['complete']);
    // Both instances' observations are in the shared counters.
    expect(Number(await inspect.get('rollout:routelang:rollout:p:r:control:n'))).toBe(Math.max(a.status().control.n, b.status().control.n));
  });
});

describe('Router.load with a state URL', () => {
  it('opens the store from the URL and closes it on close()', async () => {
    const router = await Router.load(compiled(SHARED), { state: `${redis.url}?prefix=load:&mode=strict` });
    const state = router.stateStore as unknown as RedisState;
    expect(state.connected).toBe(true);
    expect(state.mode).toBe('strict');
    await router.close();
    expect(state.connected).toBe(false);
  });

  it('refuses a URL that is not a state URL, naming the option', async () => {
    const error = await Router.load(compiled(SHARED), { state: 'http://localhost:6379' }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(RouterLoadError);
    expect((error as RouterLoadError).errors[0]?.path).toBe('/options/state');
  });
});
