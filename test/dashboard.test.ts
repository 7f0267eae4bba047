// `routelang serve --dashboard`: the feed behind the page (on a clock: series, percentiles,
// bounds at 1,000 requests a second), the gateway serving it (off by default, behind an admin
// key, numbers equal to `/metrics`), and the page itself in Debian's Chromium under generated
// load (charts with non-zero series for the models that served, tables matching `/metrics`).
// Screenshots go to test-artifacts/dashboard/.

import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it, test } from 'vitest';
import { main } from '../packages/dsl/src/cli/main.js';
import { compilePolicy } from '../packages/dsl/src/compile.js';
import {
  addAdminKey,
  addKey,
  DashboardFeed,
  type DashboardSnapshot,
  type FakeUpstream,
  type Gateway,
  GatewayMetrics,
  KeyStore,
  startFakeUpstream,
  startGateway,
} from '../packages/gateway/src/index.js';
import type { Attempt, PolicyIR, RunEvent } from '../packages/runtime/src/index.js';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const POLICY = join(ROOT, 'test', 'gateway', 'policy.route');
const ARTIFACTS = join(ROOT, 'test-artifacts', 'dashboard');

function compiled(file: string): PolicyIR {
  const result = compilePolicy(file);
  if (!result.ir) throw new Error(`${file} does not compile: ${result.diagnostics.map((d) => d.message).join('; ')}`);
  return result.ir;
}

const attempt = (target: string, over: Partial<Attempt> = {}): Attempt => ({
  target,
  kind: 'model',
  outcome: 'ok',
  inputTokens: 100,
  outputTokens: 20,
  cost: 0.001,
  latencyMs: 50,
  attempt: 1,
  ...over,
});

const event = (over: Partial<RunEvent> & { attempts: readonly Attempt[] }): RunEvent => ({
  type: 'routelang.run',
  time: new Date(0).toISOString(),
  policy: { name: 'p', version: null },
  requestId: 'r',
  tenant: undefined,
  errors: undefined,
  rule: { route: null, index: 0, line: 3, label: undefined },
  outcome: 'ok',
  model: over.attempts.at(-1)?.target,
  errorClass: undefined,
  fallbacks: 0,
  escalations: 0,
  inputTokens: 0,
  outputTokens: 0,
  cost: over.attempts.reduce((n, a) => n + a.cost, 0),
  latencyMs: 10,
  ...over,
});

// (Spread in: an object literal with a `then` key looks like a thenable to the linter.)
const FELL_BACK: Partial<Attempt> = Object.fromEntries([['then', 'fallback']]);

const ROLLOUT = {
  name: 'canary',
  stage: 1,
  share: 25,
  state: 'running',
  discarded: 0,
  control: { n: 40, mean: 0.8 },
  candidate: { n: 12, mean: 0.82 },
  difference: { estimate: 0.02, low: -0.1, high: 0.14 },
} as const;

/** A feed on a clock the test moves, with its metrics (as the gateway wires them). */
function clocked(start = 1_000_000_000_000) {
  let now = start;
  const metrics = new GatewayMetrics(() => ({ big: 'open' }));
  const feed = new DashboardFeed(
    metrics,
    {
      policy: () => ({ name: 'p', hash: 'abc' }),
      circuits: () => ({ big: 'open' }),
      rollouts: () => ({ canary: ROLLOUT }),
      drift: () => [{ model: 'big', metric: 'score', windows: 3, estimate: -0.2, drifted: true }],
    },
    () => now,
    () => 0.5,
  );
  const record = (e: RunEvent, rule = 'p.route:3') => {
    metrics.record(e, rule);
    feed.record(e, rule);
  };
  const advance = (ms: number): void => {
    now += ms;
  };
  return { feed, metrics, record, advance, now: () => now };
}

describe('the feed', () => {
  it('keeps per-second series and exact percentiles over the last minute', async () => {
    const c = clocked();
    // Second 0: 3 requests to small (latencies 10, 20, 30 ms); second 1: one to small (1,000 ms) and one that fell back to big.
    for (const latencyMs of [10, 20, 30]) c.record(event({ attempts: [attempt('small', { latencyMs })] }));
    c.advance(1000);
    c.record(event({ attempts: [attempt('small', { latencyMs: 1000, firstTokenMs: 400 })] }));
    c.record(event({ attempts: [attempt('small', { outcome: 'error', cost: 0, ...FELL_BACK }), attempt('big', { cost: 0.01 })], fallbacks: 1 }));
    c.record(event({ attempts: [], outcome: 'denied', model: undefined, rule: { route: null, index: 1, line: 4, label: 'no' } }), 'p.route:4 (no)');
    c.advance(1000);
    const s = await c.feed.snapshot();

    expect(s.totals.requests).toBe(6);
    expect(s.totals.outcomes).toEqual({ ok: 5, denied: 1 });
    expect(s.rates).toEqual({ escalation: 0, fallback: 1 / 6, denial: 1 / 6 });
    const small = s.models.find((m) => m.model === 'small');
    // small answered 4 requests, was called 5 times (one failed): latencies 10, 20, 30, 1000, 50.
    expect(small).toMatchObject({ requests: 4, calls: 5, latencyMs: { p50: 30, p95: 1000, samples: 5 }, firstTokenMs: { p50: 400, p95: 400, samples: 1 } });
    expect(s.models.find((m) => m.model === 'big')).toMatchObject({ requests: 1, calls: 1, cost: 0.01, circuit: 'open' });
    // The series end at the last whole second: [.., second 0, second 1].
    expect(s.series.seconds.at(-1)).toBe(Math.floor(c.now() / 1000) - 1);
    expect(s.series.requests.small?.slice(-2)).toEqual([3, 1]);
    expect(s.series.requests.big?.slice(-2)).toEqual([0, 1]);
    expect(s.series.requests['(denied)']?.slice(-2)).toEqual([0, 1]);
    expect(s.series.latencyP95.small?.slice(-2)).toEqual([30, 1000]);
    expect(s.series.latencyP95['(denied)']).toBeUndefined();
    expect(s.series.cost.big?.slice(-1)[0]).toBeCloseTo(0.01, 12);
    expect(s.totals.requestsPerSecond).toBeCloseTo(0.6, 12);
    expect(s.rules.map((r) => [r.rule, r.requests, r.fallbacks, r.denials])).toEqual([
      ['p.route:3', 5, 1, 0],
      ['p.route:4 (no)', 1, 0, 0],
    ]);
    expect(s.recent[0]?.outcome).toBe('denied');
    // Rollouts and drift: the router's status, and the events as they came (newest first).
    expect(s.rollouts).toEqual([ROLLOUT]);
    expect(s.drift).toEqual([{ model: 'big', metric: 'score', windows: 3, estimate: -0.2, drifted: true }]);
    for (const toShare of [25, 50]) {
      c.feed.rollout({ type: 'rollout', rollout: 'canary', action: 'advance', reason: 'no harm', fromShare: toShare / 2, toShare, status: ROLLOUT });
    }
    c.feed.drift({
      type: 'drift',
      model: 'big',
      metric: 'score',
      test: 'mean_difference',
      reference: 0.9,
      current: 0.7,
      estimate: -0.2,
      low: -0.3,
      high: -0.1,
      window: 50,
    });
    const withEvents = await c.feed.snapshot();
    expect(withEvents.rolloutEvents.map((e) => e.toShare)).toEqual([50, 25]);
    expect(withEvents.driftEvents).toMatchObject([{ model: 'big', current: 0.7, time: new Date(c.now()).toISOString() }]);

    // A minute and more later the percentiles forget those calls; the series keep them for five minutes.
    c.advance(61_000);
    const later = await c.feed.snapshot();
    expect(later.models.find((m) => m.model === 'small')?.latencyMs).toEqual({ p50: null, p95: null, samples: 0 });
    expect(later.series.requests.small?.reduce((a, b) => a + b, 0)).toBe(4);
    c.advance(300_000);
    c.record(event({ attempts: [attempt('big')] }));
    const after = await c.feed.snapshot();
    expect(after.series.requests.small).toBeUndefined();
    expect(after.totals.requests).toBe(7);
  });

  it('stays bounded at 1,000 requests a second: the snapshot does not grow with the traffic', async () => {
    const c = clocked();
    const sizes: number[] = [];
    // Past the five minutes of history, the window is full: its snapshot must stop growing.
    for (let second = 0; second < 330; second++) {
      for (let i = 0; i < 1000; i++) {
        c.record(event({ attempts: [attempt(i % 3 === 0 ? 'big' : 'small', { latencyMs: i })], tenant: `t${i % 40}`, requestId: `${second}-${i}` }));
      }
      c.advance(1000);
      if (second === 304 || second === 329) sizes.push(JSON.stringify(await c.feed.snapshot()).length);
    }
    const s = await c.feed.snapshot();
    expect(s.totals.requests).toBe(330_000);
    expect(s.series.seconds).toHaveLength(299);
    expect(s.totals.requestsPerSecond).toBe(1000);
    // At most 512 samples per model per second, over the last minute (the current second, empty here, and the 59 before it).
    expect(s.models.find((m) => m.model === 'small')?.latencyMs.samples).toBe(512 * 59);
    expect(s.recent).toHaveLength(50);
    expect(s.tenants).toHaveLength(25);
    // The snapshot's size depends on the window, not on how many requests it has seen.
    expect(sizes[1]).toBeLessThan(200_000);
    expect(Math.abs((sizes[1] as number) - (sizes[0] as number)) / (sizes[0] as number)).toBeLessThan(0.05);
  });
});

/** What the page's functions below use of the browser (the tests compile without the DOM's types). */
interface Page {
  readonly document: { querySelector(selector: string): { readonly textContent: string | null } | null };
  readonly CSS: { escape(text: string): string };
  readonly routelangDashboard: {
    readonly snapshot?: DashboardSnapshot;
    readonly charts: Record<string, { readonly data: (number | null)[][]; readonly series: { readonly label?: string }[] }>;
  };
}

/** `/metrics` as `name{labels}` → value. */
async function scrape(url: string): Promise<{ sum: (name: string, labels?: Record<string, string>) => number }> {
  const text = await (await fetch(`${url}/metrics`)).text();
  const samples: { name: string; labels: Record<string, string>; value: number }[] = [];
  for (const line of text.split('\n')) {
    const m = /^([a-z_]+)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (!m) continue;
    const labels: Record<string, string> = {};
    for (const l of (m[2] ?? '').matchAll(/([a-z_]+)="((?:[^"\\]|\\.)*)"/g)) labels[l[1] as string] = l[2] as string;
    samples.push({ name: m[1] as string, labels, value: Number(m[3]) });
  }
  return {
    sum: (name, want = {}) =>
      samples.filter((s) => s.name === name && Object.entries(want).every(([k, v]) => s.labels[k] === v)).reduce((n, s) => n + s.value, 0),
  };
}

let fake: FakeUpstream;
const gateways: Gateway[] = [];
const upstreams = (): Record<string, string> => ({ openai: fake.url, anthropic: fake.url, vllm: fake.url });
let work: string;

beforeAll(async () => {
  fake = await startFakeUpstream();
  process.env.ROUTELANG_TEST_OPENAI_KEY = 'sk-test-openai-secret';
  process.env.ROUTELANG_TEST_ANTHROPIC_KEY = 'sk-ant-test-secret';
  work = mkdtempSync(join(tmpdir(), 'routelang-dashboard-'));
});

afterAll(async () => {
  for (const g of gateways) await g.close();
  await fake?.close();
  rmSync(work, { recursive: true, force: true });
});

async function serve(options: Partial<Parameters<typeof startGateway>[0]> = {}): Promise<Gateway> {
  const g = await startGateway({ ir: compiled(POLICY), router: { upstreams: upstreams(), breaker: { minCalls: 1000 } }, ...options });
  gateways.push(g);
  return g;
}

const chat = (url: string, body: Record<string, unknown>, headers: Record<string, string> = {}) =>
  fetch(`${url}/v1/chat/completions`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: JSON.stringify({ model: 'auto', messages: [{ role: 'user', content: 'hello there' }], ...body }),
  });

/** A mix the policy sends to every model and to a deny rule, some of it streamed, from a few tenants. */
async function load(url: string, requests: number, headers: (i: number) => Record<string, string> = () => ({})): Promise<void> {
  let next = 0;
  const worker = async () => {
    for (let i = next++; i < requests; i = next++) {
      const metadata = i % 7 === 0 ? { blocked: true } : i % 5 === 0 ? { pii: true } : i % 3 === 0 ? { tier: 'pro' } : {};
      const res = await chat(url, { metadata, ...(i % 4 === 0 ? { stream: true } : {}) }, { 'x-routelang-tenant': `team-${i % 3}`, ...headers(i) });
      await res.arrayBuffer();
    }
  };
  await Promise.all(Array.from({ length: 8 }, worker));
}

describe('the gateway serves it', () => {
  it('is off unless enabled', async () => {
    const g = await serve();
    expect((await fetch(`${g.url}/dashboard/`)).status).toBe(404);
    expect((await fetch(`${g.url}/dashboard/snapshot`)).status).toBe(404);
    expect(g.dashboard).toBeUndefined();
  });

  it('serves the page, its assets and a snapshot equal to /metrics', async () => {
    const g = await serve({ dashboard: true });
    const redirect = await fetch(`${g.url}/dashboard`, { redirect: 'manual' });
    expect([redirect.status, redirect.headers.get('location')]).toEqual([308, 'dashboard/']);
    const page = await fetch(`${g.url}/dashboard/`);
    expect(page.headers.get('content-type')).toContain('text/html');
    const html = await page.text();
    // Everything the page loads is served beside it: no CDN, nothing outside the gateway.
    const refs = [...html.matchAll(/(?:src|href)="([^"]+)"/g)].map((m) => m[1] as string).filter((ref) => !ref.startsWith('data:'));
    expect(refs.sort()).toEqual(['dashboard.css', 'dashboard.js', 'uPlot.min.css', 'uPlot.min.js']);
    for (const ref of refs) expect((await fetch(`${g.url}/dashboard/${ref}`)).status, ref).toBe(200);
    expect((await fetch(`${g.url}/dashboard/nothing.js`)).status).toBe(404);
    expect((await fetch(`${g.url}/dashboard/snapshot`, { method: 'POST' })).status).toBe(405);

    await load(g.url, 105);
    const s = (await (await fetch(`${g.url}/dashboard/snapshot`)).json()) as DashboardSnapshot;
    const m = await scrape(g.url);
    expect(s.totals.requests).toBe(105);
    expect(s.totals.requests).toBe(m.sum('routelang_requests_total'));
    expect(s.totals.cost).toBeCloseTo(m.sum('routelang_cost_usd_total'), 9);
    expect(s.totals.inputTokens).toBe(m.sum('routelang_tokens_total', { direction: 'input' }));
    expect(s.totals.outcomes.denied).toBe(m.sum('routelang_requests_total', { outcome: 'denied' }));
    expect(s.models.map((x) => x.model).sort()).toEqual(['claude', 'mini', 'local'].sort());
    for (const model of s.models) {
      expect(model.requests, model.model).toBe(m.sum('routelang_requests_total', { model: model.model }));
      expect(model.requests, model.model).toBeGreaterThan(0);
      expect(model.calls, model.model).toBe(m.sum('routelang_call_duration_seconds_count', { model: model.model }));
      expect(model.cost, model.model).toBeCloseTo(m.sum('routelang_cost_usd_total', { model: model.model }), 9);
      expect(model.outputTokens, model.model).toBe(m.sum('routelang_tokens_total', { model: model.model, direction: 'output' }));
      // Every call fell in the last minute: the exact median lies in the histogram bucket holding the median.
      expect(model.latencyMs.samples).toBe(model.calls);
    }
    for (const tenant of s.tenants) expect(tenant.requests, tenant.tenant).toBe(m.sum('routelang_requests_total', { tenant: tenant.tenant }));
    for (const rule of s.rules) {
      expect(rule.requests, rule.rule).toBe(m.sum('routelang_requests_total', { rule: rule.rule }));
      expect(rule.denials, rule.rule).toBe(m.sum('routelang_denials_total', { rule: rule.rule }));
    }
    // Streamed calls report their time to first token.
    expect(s.models.find((x) => x.model === 'mini')?.firstTokenMs.samples).toBeGreaterThan(0);
  });

  it('streams a snapshot a second as server-sent events, and ends the stream when the gateway closes', async () => {
    const g = await startGateway({ ir: compiled(POLICY), router: { upstreams: upstreams() }, dashboard: true });
    const res = await fetch(`${g.url}/dashboard/events`);
    expect(res.headers.get('content-type')).toContain('text/event-stream');
    const reader = (res.body as ReadableStream<Uint8Array>).pipeThrough(new TextDecoderStream()).getReader();
    let text = '';
    const started = Date.now();
    while ((text.match(/\n\n/g) ?? []).length < 2) text += (await reader.read()).value ?? '';
    expect(Date.now() - started).toBeGreaterThanOrEqual(900);
    const first = JSON.parse(text.split('\n\n')[0]?.replace(/^data: /, '') ?? '') as DashboardSnapshot;
    expect(first.policy.name).toBe('gw');
    await g.close();
    for (;;) if ((await reader.read()).done) break;
  });

  it('with keys, opens its data to an admin key only; an admin key makes no model calls', async () => {
    const file = join(work, 'keys');
    const tenantKey = addKey(file, 'acme');
    const adminKey = addAdminKey(file);
    const keys = KeyStore.load(file);
    expect(keys.admins).toBe(1);
    const g = await serve({ dashboard: true, keys });
    const snapshot = (key?: string) => fetch(`${g.url}/dashboard/snapshot`, { headers: key ? { authorization: `Bearer ${key}` } : {} });
    const none = await snapshot();
    expect(none.status).toBe(401);
    expect(((await none.json()) as { error: { message: string } }).error.message).toContain('keys add --admin');
    expect((await snapshot('rl-wrong')).status).toBe(401);
    const tenant = await snapshot(tenantKey);
    expect([tenant.status, ((await tenant.json()) as { error: { code: string } }).error.code]).toEqual([403, 'admin_key_required']);
    expect((await snapshot(adminKey)).status).toBe(200);
    expect((await fetch(`${g.url}/dashboard/events`)).status).toBe(401);
    // The page holds no data and is served to anyone: it asks for the key.
    expect((await fetch(`${g.url}/dashboard/`)).status).toBe(200);
    expect((await chat(g.url, {}, { authorization: `Bearer ${adminKey}` })).status).toBe(401);
    expect((await chat(g.url, {}, { authorization: `Bearer ${tenantKey}` })).status).toBe(200);
  });
});

it('routelang keys add --admin makes an admin key; --admin and --tenant together are a usage error', async () => {
  const out: string[] = [];
  const err: string[] = [];
  const io = {
    out: (t: string) => out.push(t),
    err: (t: string) => err.push(t),
    write: (t: string) => out.push(t),
    errIsTTY: false,
    color: false,
    version: 'test',
  };
  const file = join(work, 'cli-keys');
  expect(await main(['keys', 'add', '--admin', '--keys', file], io)).toBe(0);
  const key = out[0] as string;
  expect(err.join('\n')).toContain('an admin key');
  const keys = KeyStore.load(file);
  expect([keys.isAdmin(key), keys.tenantOf(key), keys.admins]).toEqual([true, undefined, 1]);
  expect(await main(['keys', 'add', '--admin', '--tenant', 'acme', '--keys', file], io)).toBe(2);
  expect(await main(['keys', 'add', '--keys', file], io)).toBe(2);
  expect(err.join('\n')).toContain('--tenant NAME (or --admin)');
  // A role the store does not know is an error naming its line, not a key with unknown powers.
  const bad = join(work, 'bad-keys');
  writeFileSync(bad, `${JSON.stringify({ tenant: '', sha256: 'a'.repeat(64), created: '', role: 'root' })}\n`);
  expect(() => KeyStore.load(bad)).toThrow(`${bad}:1: a key's "role" is "admin" or absent, not "root"`);
});

/** Debian's Chromium, headless, driven by playwright-core (installed on first use). */
async function launch() {
  execFileSync('bash', [join(ROOT, 'scripts', 'system-packages.sh'), 'chromium'], { stdio: 'inherit' });
  const { chromium } = await import('playwright-core');
  return chromium.launch({
    executablePath: '/usr/bin/chromium',
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
}

test('names from callers are shown as text, never run, under a strict Content-Security-Policy', async () => {
  const g = await serve({ dashboard: true });
  const hostile = '<img src=x onerror="document.title=\'pwned\'">';
  expect((await chat(g.url, {}, { 'x-routelang-tenant': hostile })).status).toBe(200);
  const page = await fetch(`${g.url}/dashboard/`);
  expect(page.headers.get('content-security-policy')).toContain("script-src 'self'");
  const browser = await launch();
  try {
    const tab = await browser.newPage();
    const problems: string[] = [];
    tab.on('console', (m) => {
      if (m.type() === 'error') problems.push(m.text());
    });
    tab.on('pageerror', (e) => problems.push(e.message));
    tab.on('dialog', (d) => {
      problems.push(`a dialog: ${d.message()}`);
      void d.dismiss();
    });
    await tab.goto(`${g.url}/dashboard/`);
    await tab.waitForFunction(
      (name) => (globalThis as unknown as Page).document.querySelector(`#tenants tr[data-key="${(globalThis as unknown as Page).CSS.escape(name)}"]`) !== null,
      hostile,
    );
    expect(await tab.textContent('#tenants')).toContain(hostile);
    expect(await tab.locator('#tenants img, #recent img').count()).toBe(0);
    expect(await tab.title()).toBe('Routelang gateway');
    // The charts drew under the policy (uPlot styles through the CSSOM, which the policy allows).
    expect(await tab.locator('.uplot').count()).toBe(3);
    expect(problems).toEqual([]);
  } finally {
    await browser.close();
  }
}, 120_000);

test('the page in a real browser, under generated load', async () => {
  rmSync(ARTIFACTS, { recursive: true, force: true });
  mkdirSync(ARTIFACTS, { recursive: true });
  const file = join(work, 'browser-keys');
  const adminKey = addAdminKey(file);
  const tenantKeys = ['acme', 'globex', 'initech'].map((t) => addKey(file, t));
  const g = await serve({ dashboard: true, keys: KeyStore.load(file) });

  const browser = await launch();
  try {
    const page = await browser.newPage({ viewport: { width: 1400, height: 1600 } });
    const outside: string[] = [];
    page.on('request', (r) => {
      if (!r.url().startsWith(g.url)) outside.push(r.url());
    });
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(e.message));

    // Keys are configured: the page asks for the admin key before it shows anything.
    await page.goto(`${g.url}/dashboard`);
    await page.waitForSelector('#key-form:not([hidden])');
    await page.screenshot({ path: join(ARTIFACTS, '1-key.png') });
    await page.fill('#key', adminKey);
    await page.click('#key-form button');
    await page.waitForSelector('#board:not([hidden])');
    await page.waitForFunction(() => (globalThis as unknown as Page).document.querySelector('#status')?.textContent?.startsWith('live'));

    // Load for a few seconds, from three tenants; the page updates while it runs.
    await load(g.url, 600, (i) => ({ authorization: `Bearer ${tenantKeys[i % 3]}` }));
    // The snapshot after the load: the series hold the seconds it ran in.
    await page.waitForFunction(
      (n) => {
        const s = (globalThis as unknown as Page).routelangDashboard.snapshot;
        return s !== undefined && s.totals.requests === n && Object.values(s.series.requests).some((xs) => xs.some((x) => x > 0));
      },
      600,
      { timeout: 15_000 },
    );
    await page.waitForTimeout(1_500);
    await page.screenshot({ path: join(ARTIFACTS, '2-under-load.png'), fullPage: true });

    const shown = await page.evaluate(() => {
      const { document, CSS, routelangDashboard: d } = globalThis as unknown as Page;
      const cell = (table: string, key: string, field: string) =>
        document.querySelector(`#${table} tr[data-key="${CSS.escape(key)}"] td[data-field="${field}"]`)?.textContent ?? null;
      const sums = Object.fromEntries(
        Object.entries(d.charts).map(([id, c]) => [
          id,
          Object.fromEntries(c.series.slice(1).map((s, i) => [s.label ?? '', (c.data[i + 1] ?? []).reduce<number>((a, b) => a + (b ?? 0), 0)])),
        ]),
      );
      return {
        requests: document.querySelector('[data-metric="requests"]')?.textContent,
        models: ['mini', 'claude', 'local'].map((m) => [m, cell('models', m, 'requests'), cell('models', m, 'calls')]),
        tenants: ['acme', 'globex', 'initech'].map((t) => [t, cell('tenants', t, 'requests')]),
        sums,
      };
    });
    const m = await scrape(g.url);
    expect(shown.requests).toBe('600');
    for (const [model, requests, calls] of shown.models) {
      expect(Number(requests?.replace(/,/g, '')), `${model} requests`).toBe(m.sum('routelang_requests_total', { model: model as string }));
      expect(Number(calls?.replace(/,/g, '')), `${model} calls`).toBe(m.sum('routelang_call_duration_seconds_count', { model: model as string }));
    }
    for (const [tenant, requests] of shown.tenants)
      expect(Number(requests), tenant as string).toBe(m.sum('routelang_requests_total', { tenant: tenant as string }));
    // The charts: non-zero series for each model that served, and their sums are the requests they answered.
    for (const model of ['mini', 'claude', 'local']) {
      expect(shown.sums['chart-requests']?.[model], model).toBe(m.sum('routelang_requests_total', { model }));
      expect(shown.sums['chart-latency']?.[model], model).toBeGreaterThan(0);
    }
    expect(shown.sums['chart-requests']?.['(denied)']).toBe(m.sum('routelang_requests_total', { outcome: 'denied' }));
    expect(shown.sums['chart-cost']?.mini).toBeGreaterThan(0);
    expect(outside).toEqual([]);
    expect(errors).toEqual([]);
  } finally {
    await browser.close();
  }
}, 180_000);
