// `routelang simulate`: the real run() path against simulated models. Checks that the
// numbers mean what the report says (cost against the baseline to the cent, escalations,
// fallbacks, breakers, budgets, invalid lines), that a seed replays a run exactly, and the
// command's outputs (text, JSON, HTML, progress bar, bad profiles).

import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { main } from '../packages/dsl/src/cli/main.js';
import { compilePolicy } from '../packages/dsl/src/compile.js';
import { nodeHost } from '../packages/dsl/src/load.js';
import { resolveProfile } from '../packages/dsl/src/simulate/profile.js';
import { dollars } from '../packages/dsl/src/simulate/report.js';
import { type SimulationReport, simulate } from '../packages/dsl/src/simulate/simulate.js';
import type { PolicyIR } from '../packages/runtime/src/index.js';

const MODELS = `
model small { provider = "a" id = "s" price = { input: $1 per 1M, output: $2 per 1M } context = 32k max_output = 2k latency = 500ms }
model big { provider = "b" id = "b" price = { input: $10 per 1M, output: $30 per 1M } context = 128k max_output = 4k latency = 2s }
`;

function ir(body: string): PolicyIR {
  const path = '/virtual/sim.route';
  const result = compilePolicy(path, nodeHost(new Map([[path, `policy sim\n${MODELS}\n${body}`]])));
  if (!result.ir) throw new Error(result.diagnostics.map((d) => `${d.code} ${d.message}`).join('\n'));
  return result.ir;
}

const words = (n: number) => Array.from({ length: n }, (_, i) => `w${i % 50}`).join(' ');
const tokenizer = (text: string) => text.split(/\s+/).filter(Boolean).length;

async function run(policy: PolicyIR, lines: string[], profile: unknown = {}, seed?: number): Promise<SimulationReport> {
  const resolved = resolveProfile(policy, profile, seed);
  if (!resolved.profile) throw new Error(JSON.stringify(resolved.problems));
  return simulate(policy, lines, { profile: resolved.profile, tokenizer });
}

const requests = (n: number, make: (i: number) => object) => Array.from({ length: n }, (_, i) => JSON.stringify(make(i)));

describe('simulate', () => {
  it('costs exactly the baseline when the policy always sends the baseline model and nothing fails', async () => {
    const policy = ir('input { prompt: text }\nroute { otherwise -> big }');
    const r = await run(
      policy,
      requests(200, (i) => ({ prompt: words(10 + i) })),
      { models: { big: { error_rate: 0 } } },
    );
    expect(r.cost.baselineModel).toBe('big');
    expect(r.outcomes).toEqual({ answered: 200, denied: 0, failed: 0, invalid: 0 });
    expect(r.cost.total).toBeGreaterThan(0);
    expect(r.cost.total).toBeCloseTo(r.cost.baseline, 10);
    expect(r.cost.saved).toBeCloseTo(0, 10);
    // Input cost is exact: the prompts' tokens at the model's price.
    const inputTokens = Array.from({ length: 200 }, (_, i) => 10 + i).reduce((a, b) => a + b, 0);
    expect(r.models.find((m) => m.model === 'big')?.inputTokens).toBe(inputTokens);
  });

  it('saves what the cheap rule moves off the baseline', async () => {
    const policy = ir('input { prompt: text\n cheap: bool = false }\nroute { when cheap -> small\n otherwise -> big }');
    const r = await run(
      policy,
      requests(400, (i) => ({ prompt: words(50), cheap: i % 4 !== 0 })),
      { models: { big: { error_rate: 0 }, small: { error_rate: 0 } } },
    );
    expect(r.rules.map((x) => [x.line, x.requests])).toEqual([
      [8, 300],
      [9, 100],
    ]);
    expect(r.cost.savedShare).toBeGreaterThan(0.6);
    expect(r.cost.saved).toBeCloseTo(r.cost.baseline - r.cost.total, 10);
  });

  it('replays exactly with the same seed, and differently with another', async () => {
    const policy = ir('input { prompt: text }\nvalidator q = extern "q"\nroute { otherwise -> cascade [small, big] until q >= 0.8 }');
    const lines = requests(300, (i) => ({ prompt: words(20 + (i % 7)) }));
    const a = await run(policy, lines, {}, 7);
    const b = await run(policy, lines, {}, 7);
    const c = await run(policy, lines, {}, 8);
    expect(JSON.stringify(b)).toBe(JSON.stringify(a));
    expect(JSON.stringify(c)).not.toBe(JSON.stringify(a));
  });

  it('escalates a cascade as often as the small model scores below the bar', async () => {
    const policy = ir('input { prompt: text }\nvalidator q = extern "q"\nroute { otherwise -> cascade [small, big] until q >= 0.5 }');
    const lines = requests(2_000, () => ({ prompt: words(20) }));
    const never = await run(policy, lines, { models: { small: { quality: { mean: 0.9, sd: 0 }, error_rate: 0 } } });
    expect(never.escalationRate).toBe(0);
    // Quality ~ N(0.5, 0.1): half the answers fall below 0.5.
    const half = await run(policy, lines, { models: { small: { quality: { mean: 0.5, sd: 0.1 }, error_rate: 0 }, big: { error_rate: 0 } } });
    expect(half.escalationRate).toBeGreaterThan(0.45);
    expect(half.escalationRate).toBeLessThan(0.55);
    expect(half.models.find((m) => m.model === 'big')?.calls).toBe(Math.round(half.escalationRate * 2_000));
  });

  it('fires fallbacks during an outage, and the breaker then refuses calls to the failing model', async () => {
    const policy = ir('input { prompt: text }\nroute { otherwise -> big fallback small }');
    const r = await run(
      policy,
      requests(1_000, () => ({ prompt: words(20) })),
      { models: { big: { error_rate: 0 }, small: { error_rate: 0 } }, outages: [{ model: 'big', from: 0.5, to: 0.7 }] },
    );
    expect(r.outcomes.failed).toBe(0);
    // 20 % of the traffic falls in the outage; after it the open breaker keeps the traffic on
    // `small` until a probe succeeds.
    expect(r.fallbackRate).toBeGreaterThanOrEqual(0.2);
    expect(r.fallbackRate).toBeLessThan(0.25);
    const big = r.models.find((m) => m.model === 'big');
    expect(big?.errorClasses.server_error).toBeGreaterThan(0);
    expect(big?.errorClasses.circuit_open).toBeGreaterThan(100); // refused without a call
    expect(r.models.find((m) => m.model === 'small')?.answered).toBe(Math.round(r.fallbackRate * 1_000));
  });

  it('times calls out at the plan timeout, on simulated time', async () => {
    const policy = ir('input { prompt: text }\nroute { otherwise -> big with { timeout: 1s } fallback small }');
    const r = await run(
      policy,
      requests(500, () => ({ prompt: words(20) })),
      { models: { big: { error_rate: 0, latency_ms: { p50: 900, p95: 1_800 } }, small: { error_rate: 0 } } },
    );
    const big = r.models.find((m) => m.model === 'big');
    // P(latency > 1 s) for a log-normal with median 0.9 s and p95 1.8 s is about 40 % of the
    // calls made (the breaker refuses others once timeouts pile up).
    const share = (big?.errorClasses.timeout ?? 0) / (big?.calls ?? 1);
    expect(share).toBeGreaterThan(0.3);
    expect(share).toBeLessThan(0.5);
    expect(r.outcomes.failed).toBe(0);
    expect(big?.latencyP95Ms).toBeLessThanOrEqual(1_000);
  });

  it('lets the per-tenant budget bind: a tenant over its daily spend gets no more calls, others are served', async () => {
    const policy = ir('input { prompt: text\n tenant: string }\nroute { otherwise -> small }\nbudget { per_tenant <= $0.01 per day }');
    const lines = requests(400, (i) => ({ prompt: words(50), tenant: i % 2 === 0 ? 'heavy' : `t${i}` }));
    const r = await run(policy, lines, { models: { small: { error_rate: 0 } } });
    expect(r.failures).toEqual([{ errorClass: 'budget', count: expect.any(Number) }]);
    // Each request costs about $0.0008: the heavy tenant is cut off after roughly 13 of its 200.
    expect(r.failures[0]?.count).toBeGreaterThan(150);
    expect(r.failures[0]?.count).toBeLessThan(200);
    expect(r.outcomes.answered + r.outcomes.failed).toBe(400);
    expect(r.outcomes.answered).toBeGreaterThanOrEqual(200);
  });

  it('counts denials and lists invalid lines with each problem', async () => {
    const policy = ir('input { prompt: text\n tier: enum { free, pro } = free }\nroute { when tier == pro -> deny "no pro yet"\n otherwise -> small }');
    const lines = ['{"prompt":"a","tier":"pro"}', '{"prompt":"b"}', '', '{"promt":"c"}', '{"prompt":"d","tier":"gold"}', '{"prompt": "cut'];
    const r = await run(policy, lines);
    expect(r.requests).toBe(5);
    expect(r.outcomes.denied).toBe(1);
    expect(r.denials).toEqual([{ reason: 'no pro yet', count: 1 }]);
    expect(r.outcomes.invalid).toBe(3);
    expect(r.invalid.map((i) => i.line)).toEqual([4, 5, 6]);
    expect(r.invalid[0]?.problems.join(' ')).toContain('promt');
    expect(r.invalid[1]?.problems.join(' ')).toContain('gold');
    expect(r.invalid[2]?.problems[0]).toMatch(/^not JSON/);
  });
});

describe('the simulation profile', () => {
  const policy = ir('input { prompt: text }\ntool kb { kind = search }\nroute { otherwise -> try kb else small }');

  it('defaults from the catalogue: declared latency, quality by price, the priciest model as baseline', () => {
    const { profile } = resolveProfile(policy, undefined);
    expect(profile?.baseline.name).toBe('big');
    expect(profile?.models.get('small')?.latency).toEqual({ p50: 500, p95: 1_250 });
    expect(profile?.models.get('big')?.quality.mean).toBeGreaterThan(profile?.models.get('small')?.quality.mean ?? 1);
    expect(profile?.tools.get('kb')?.hitRate).toBe(0.35);
  });

  it('names each problem by its path', () => {
    const { profile, problems } = resolveProfile(policy, {
      baseline: 'huge',
      models: { tiny: {}, small: { error_rate: 2 } },
      tools: { web: {} },
      outages: [{ model: 'big', from: 0.6, to: 0.2 }],
      colour: 'red',
    });
    expect(profile).toBeUndefined();
    expect(problems.map((p) => p.path).sort()).toEqual(['/', '/models/small/error_rate', '/outages/0'].sort());
    const second = resolveProfile(policy, { baseline: 'huge', models: { tiny: {} }, tools: { web: {} } }).problems.map((p) => p.path);
    expect(second.sort()).toEqual(['/baseline', '/models/tiny', '/tools/web']);
  });
});

describe('routelang simulate', () => {
  const dir = mkdtempSync(join(tmpdir(), 'routelang-sim-'));
  const policyFile = join(dir, 'policy.route');
  writeFileSync(policyFile, `policy sim\n${MODELS}\ninput { prompt: text\n cheap: bool = false }\nroute { when cheap -> small\n otherwise -> big }\n`);
  const capture = (tty = false) => {
    const out: string[] = [];
    const err: string[] = [];
    const raw: string[] = [];
    return {
      out,
      err,
      raw,
      io: { out: (t: string) => out.push(t), err: (t: string) => err.push(t), write: (t: string) => raw.push(t), errIsTTY: tty, color: false, version: 'test' },
    };
  };

  it('prints the tables and the savings; --format json and --html carry the same numbers', async () => {
    const traffic = join(dir, 'traffic.jsonl');
    writeFileSync(traffic, `${requests(300, (i) => ({ prompt: words(30), cheap: i % 3 !== 0 })).join('\n')}\n`);
    const text = capture();
    expect(await main(['simulate', policyFile, traffic, '--seed', '3'], text.io)).toBe(0);
    const report = text.out.join('\n');
    expect(report).toContain('simulated 300 requests');
    expect(report).toMatch(/always `big`: \$[\d.]+; saved \$[\d.]+ \(\d+\.\d%\)/);
    expect(text.raw).toEqual([]); // no progress bar for a small file

    const html = join(dir, 'report.html');
    const json = capture();
    expect(await main(['simulate', policyFile, traffic, '--seed', '3', '--format', 'json', '--html', html], json.io)).toBe(0);
    const doc = JSON.parse(json.out.join('\n')) as SimulationReport;
    expect(doc.requests).toBe(300);
    expect(report).toContain(`saved ${dollars(doc.cost.saved)}`);
    const page = readFileSync(html, 'utf8');
    expect(page).toContain('<svg');
    expect(page).toContain('Route mix');
    expect(page).not.toContain('<script');
  });

  it('draws a progress bar on standard error for files over 10,000 lines', async () => {
    const traffic = join(dir, 'big.jsonl');
    writeFileSync(traffic, requests(10_500, () => ({ prompt: 'hi' })).join('\n'));
    const log = capture(false);
    expect(await main(['simulate', policyFile, traffic, '--format', 'json'], log.io)).toBe(0);
    expect(log.raw.length).toBeGreaterThanOrEqual(10);
    expect(log.raw.at(-1)).toContain('100% 10,500/10,500');
    const tty = capture(true);
    expect(await main(['simulate', policyFile, traffic, '--format', 'json'], tty.io)).toBe(0);
    expect(tty.raw.every((s) => s.startsWith('\r'))).toBe(true);
  });

  it('exits 2 on a bad profile, a missing traffic file or a bad seed; 1 on a policy with errors', async () => {
    const profile = join(dir, 'profile.json');
    writeFileSync(profile, JSON.stringify({ models: { tiny: {} } }));
    const bad = capture();
    expect(await main(['simulate', policyFile, join(dir, 'traffic.jsonl'), '--profile', profile], bad.io)).toBe(2);
    expect(bad.err.join('\n')).toContain('/models/tiny: the policy declares no model `tiny`');
    expect(await main(['simulate', policyFile, join(dir, 'missing.jsonl')], capture().io)).toBe(2);
    expect(await main(['simulate', policyFile, join(dir, 'traffic.jsonl'), '--seed', 'x'], capture().io)).toBe(2);
    const broken = join(dir, 'broken.route');
    writeFileSync(broken, 'policy broken\ninput { prompt: text }\nroute { otherwise -> nothing }\n');
    expect(await main(['simulate', broken, join(dir, 'traffic.jsonl')], capture().io)).toBe(1);
  });
});
