// `routelang traffic POLICY`: sample requests for any policy, from its own fields, enums and
// thresholds. Every line it means to be valid is a valid request; damaged lines are invalid
// and about as many as asked; the same seed gives the same lines; and the traffic reaches
// every rule of every bundled example, and of a policy no hand-written generator knows.

import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { compilePolicy } from '../packages/dsl/src/compile.js';
import { generateTraffic } from '../packages/dsl/src/simulate/traffic.js';
import { Router } from '../packages/runtime/src/index.js';
import { ROOT } from './support/fixtures.js';

const EXAMPLES = ['ab-split', 'confidence-escalation', 'cost-cascade', 'gateway', 'governance', 'reliability', 'rollout', 'support-assistant', 'tool-first'];

// A policy no hand-written generator knows: every kind of field and condition.
const UNKNOWN = join(mkdtempSync(join(tmpdir(), 'routelang-traffic-')), 'unknown.route');
writeFileSync(
  UNKNOWN,
  `policy unknown
enum Region { us, eu, apac }
model a { provider = "p" id = "a" price = { input: $1 per 1M, output: $1 per 1M } context = 128k }
model b { provider = "p" id = "b" price = { input: $2 per 1M, output: $2 per 1M } context = 128k }
input {
  prompt:   text
  attempts: int = 0
  spend:    money = $0
  wait:     duration = 0ms
  share:    percent = 0%
  regions:  list<Region> = []
  team:     string = "none"
  urgent:   bool = false
  plan:     enum { basic, plus, max } = basic
}
route {
  when prompt.tokens > 50k -> deny "too long"
  when prompt.chars < 12 -> a
  when attempts >= 3 -> b
  when spend > $5 -> a
  when wait > 2s -> b
  when share >= 40% -> a
  when eu in regions -> b
  when team == "research" -> premium
  when urgent and plan == max -> b
  when prompt contains "refund" and not (prompt contains "policy") -> a
  otherwise -> a
}
route premium {
  when plan == basic -> a
  otherwise -> b
}
`,
);

async function load(file: string) {
  const result = compilePolicy(file);
  if (!result.ir || !result.compilation) throw new Error(`${file} does not compile`);
  return { result, compilation: result.compilation, router: await Router.load(result.ir, {}) };
}

describe('routelang traffic', () => {
  it.each([
    ...EXAMPLES.map((e) => join(ROOT, 'examples', e, 'policy.route')),
    UNKNOWN,
  ])('every line is a valid request and every rule decides some of them: %s', async (file) => {
    const { result, compilation, router } = await load(file);
    const lines = generateTraffic(result.policy, compilation.diagrams, { count: 3_000, invalid: 0 });
    expect(lines).toHaveLength(3_000);
    const decided = new Set<string>();
    for (const line of lines) {
      const decision = router.decide(JSON.parse(line));
      if (!decision.ok) throw new Error(`invalid: ${line.slice(0, 200)}: ${JSON.stringify(decision.errors)}`);
      for (const step of decision.path) decided.add(`${step.route ?? ''}#${step.index}`);
    }
    // Every rule of every route (named routes through the rules that call them): none of
    // these policies has a rule the analyses call unreachable.
    expect(result.diagnostics.filter((d) => d.code === 'RL3001' || d.code === 'RL3002')).toEqual([]);
    const expected = [...compilation.routes.values()].flatMap((r) => r.rules.map((rule) => `${r.name ?? ''}#${rule.index}`));
    expect(expected.filter((k) => !decided.has(k))).toEqual([]);
  });

  it('is deterministic per seed, and damages about the share asked for', async () => {
    const { result, compilation, router } = await load(join(ROOT, 'examples', 'governance', 'policy.route'));
    const a = generateTraffic(result.policy, compilation.diagrams, { count: 2_000, seed: 7, invalid: 0.1 });
    expect(generateTraffic(result.policy, compilation.diagrams, { count: 2_000, seed: 7, invalid: 0.1 })).toEqual(a);
    expect(generateTraffic(result.policy, compilation.diagrams, { count: 2_000, seed: 8, invalid: 0.1 })).not.toEqual(a);
    const invalid = a.filter((line) => {
      try {
        return !router.decide(JSON.parse(line)).ok;
      } catch {
        return true; // cut off mid-write
      }
    }).length;
    expect(invalid).toBeGreaterThan(150);
    expect(invalid).toBeLessThan(250);
  });

  it('writes JSON Lines from the command line, and refuses bad options with the usage', () => {
    const bin = join(ROOT, 'packages', 'dsl', 'bin', 'routelang.js');
    const out = join(mkdtempSync(join(tmpdir(), 'routelang-traffic-')), 't.jsonl');
    const policy = join(ROOT, 'examples', 'cost-cascade', 'policy.route');
    const r = spawnSync(process.execPath, [bin, 'traffic', policy, '--count', '50', '-o', out], { encoding: 'utf8' });
    expect(r.stderr).toContain('wrote 50 requests');
    expect(r.status).toBe(0);
    expect(readFileSync(out, 'utf8').trim().split('\n')).toHaveLength(50);
    for (const bad of [
      ['--count', 'many'],
      ['--invalid', '2'],
      ['--seed', '1.5'],
    ]) {
      const refused = spawnSync(process.execPath, [bin, 'traffic', policy, ...bad], { encoding: 'utf8' });
      expect(refused.status).toBe(2);
      expect(refused.stderr).toContain('usage: routelang');
    }
    const help = spawnSync(process.execPath, [join(ROOT, 'scripts', 'generate-traffic.js'), '--help'], { encoding: 'utf8' });
    expect(help.status).toBe(0);
    expect(help.stdout).toContain('routelang traffic POLICY');
  });
});
