// `routelang evaluate`: a decision log written by a real router (a rollout whose candidate
// is better, a shadow, and a model whose quality drops halfway), with broken lines mixed in.

import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { evaluateLog } from '../packages/dsl/src/evaluate.js';
import { compilePolicy, nodeHost } from '../packages/dsl/src/index.js';
import { Router } from '../packages/runtime/src/index.js';
import { seeded } from './support/rollout-sim.js';

const POLICY = `policy evaluated
input {
  prompt: text
  user: string
  topic: enum { chat, code } = chat
}
model current { provider = "a" id = "current" price = { input: $1 per 1M, output: $1 per 1M } context = 8k max_output = 10 }
model next { provider = "a" id = "next" price = { input: $1 per 1M, output: $1 per 1M } context = 8k max_output = 10 }
model coder { provider = "a" id = "coder" price = { input: $1 per 1M, output: $1 per 1M } context = 8k max_output = 10 }
model trial { provider = "a" id = "trial" price = { input: $1 per 1M, output: $1 per 1M } context = 8k max_output = 10 }
validator helpful = extern "helpful"
route {
  when topic == code -> cascade [coder, current] until helpful >= 0.1 shadow trial 50% by helpful
  otherwise -> rollout "next" by user { control -> current, candidate -> next, metric = helpful, margin = 0.05, stages = [50%, 100%], min_samples = 100000 }
}
`;

async function writeLog(): Promise<string[]> {
  const path = '/virtual/evaluated.route';
  const result = compilePolicy(path, nodeHost(new Map([[path, POLICY]])));
  if (!result.ir) throw new Error(result.diagnostics.map((d) => d.message).join('; '));
  const lines: string[] = [];
  const random = seeded(3);
  let runs = 0;
  const router = await Router.load(result.ir, {
    adapters: { a: async (call) => ({ text: call.model.name, usage: { inputTokens: 3, outputTokens: 2 } }) },
    // `next` beats `current`; `coder` is good for the first half of the log, then drops.
    validators: {
      helpful: (answer) => {
        const base = answer === 'next' ? 0.85 : answer === 'coder' ? (runs < 3_000 ? 0.9 : 0.6) : answer === 'trial' ? 0.8 : 0.7;
        return Math.min(1, Math.max(0, base + (random() - 0.5) * 0.2));
      },
    },
    telemetry: {
      onEvent: (e) => lines.push(JSON.stringify(e)),
      onRollout: (e) => lines.push(JSON.stringify(e)),
      onShadow: (e) => lines.push(JSON.stringify({ type: 'shadow', ...e })),
    },
    tokenizer: (t) => t.length,
  });
  for (; runs < 6_000; runs++) await router.run({ prompt: 'hi', user: `u${runs}`, topic: runs % 2 === 0 ? 'code' : 'chat' });
  await new Promise((r) => setTimeout(r, 20));
  lines.splice(100, 0, '{"type":"routelang.run"', 'not json at all', '{"type":"mystery"}');
  return lines;
}

describe('routelang evaluate', () => {
  it('reports models, the rollout verdict, the shadow and the drift, with intervals, and lists broken lines', async () => {
    const lines = await writeLog();
    const r = evaluateLog(lines);
    expect(r.runs).toBe(6_000);
    expect(r.broken.count).toBe(3);
    expect(r.broken.first.map((b) => b.line)).toEqual([101, 102, 103]);
    const rollout = r.rollouts.find((x) => x.rollout === 'next');
    expect(rollout?.verdict).toBe('the candidate is better');
    expect(rollout?.difference.low).toBeGreaterThan(0);
    expect(rollout?.difference.estimate).toBeCloseTo(0.15, 1);
    const shadow = r.shadows.find((s) => s.model === 'trial');
    expect(shadow?.calls).toBeGreaterThan(1_000);
    expect(shadow?.shadow?.mean).toBeCloseTo(0.8, 1);
    // coder's score drops in the second half: drift in the later windows, none in the first half.
    const coder = r.drift.find((d) => d.model === 'coder' && d.metric === 'score');
    expect(coder?.shifts.length).toBeGreaterThan(0);
    expect(Math.min(...(coder?.shifts.map((s) => s.window) ?? [0]))).toBeGreaterThan(5);
    expect(coder?.shifts.every((s) => s.high < 0)).toBe(true);
    // current is stable: no drift.
    expect(r.drift.find((d) => d.model === 'current' && d.metric === 'error rate')?.shifts).toEqual([]);
    const current = r.models.find((m) => m.model === 'current');
    expect(current?.errorRate.mean).toBe(0);
    expect(current?.cost).toBeCloseTo((current?.calls ?? 0) * 5e-6, 9);
  });

  it('runs from the command line: text, JSON and a self-contained HTML page', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'routelang-evaluate-'));
    const log = join(dir, 'log.jsonl');
    writeFileSync(log, `${(await writeLog()).join('\n')}\n`);
    const bin = join(new URL('..', import.meta.url).pathname, 'packages/dsl/bin/routelang.js');
    const text = spawnSync(process.execPath, [bin, 'evaluate', log, '--html', join(dir, 'r.html')], { encoding: 'utf8' });
    expect(text.status).toBe(0);
    expect(text.stdout).toMatch(/rollout "next": control 0\.[67]\d\d \[/);
    expect(text.stdout).toContain('the candidate is better');
    expect(text.stdout).toMatch(/drift: `coder` score in window \d+ of 10: −?-0\.\d+/);
    expect(text.stdout).toContain('line 102: not JSON');
    const html = readFileSync(join(dir, 'r.html'), 'utf8');
    expect(html).toContain('<svg');
    expect(html).not.toMatch(/<script|https?:\/\//);
    const json = spawnSync(process.execPath, [bin, 'evaluate', log, '--format', 'json', '--windows', '4'], { encoding: 'utf8' });
    expect(JSON.parse(json.stdout).drift[0].windows).toHaveLength(4);
    const usage = spawnSync(process.execPath, [bin, 'evaluate', log, '--confidence', '40%'], { encoding: 'utf8' });
    expect(usage.status).toBe(2);
  });
});
