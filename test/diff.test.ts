// The semantic diff: exact regions whose decision changes, not textual differences.

import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { main } from '../packages/dsl/src/cli/main.js';
import { checkPolicy } from '../packages/dsl/src/compile.js';
import { diffPolicies } from '../packages/dsl/src/diff.js';
import { nodeHost } from '../packages/dsl/src/load.js';
import { ROOT } from './support/fixtures.js';

const BASE = `policy p
model mini { provider = "p" id = "mini" price = { input: $1 per 1M, output: $1 per 1M } context = 128k }
model big { provider = "p" id = "big" price = { input: $1 per 1M, output: $1 per 1M } context = 128k }
model local { provider = "p" id = "local" price = { input: $0 per 1M, output: $0 per 1M } context = 32k }
input {
  prompt: text
  intent: enum { chat, summarize, code } = chat
  pii: bool = false
}
route {
  when pii -> local
  when intent == code -> big
  when intent == summarize and prompt.tokens < 8k -> mini
  otherwise -> big
}
`;

function policy(text: string, name = 'p') {
  const path = `/virtual/${name}.route`;
  const r = checkPolicy(path, nodeHost(new Map([[path, text]])));
  expect(r.diagnostics.filter((d) => d.severity === 'error')).toEqual([]);
  return r.policy;
}

describe('diffPolicies', () => {
  it('finds nothing between a policy and itself', () => {
    expect(diffPolicies(policy(BASE), policy(BASE, 'q')).changes).toEqual([]);
  });

  it('is semantic: reordering disjoint rules changes no decision', () => {
    const reordered = BASE.replace(
      '  when intent == code -> big\n  when intent == summarize and prompt.tokens < 8k -> mini\n',
      '  when intent == summarize and prompt.tokens < 8k -> mini\n  when intent == code -> big\n',
    );
    expect(reordered).not.toBe(BASE);
    expect(diffPolicies(policy(BASE), policy(reordered, 'q')).changes).toEqual([]);
  });

  it('gives exactly the band a moved threshold changes, with an example', () => {
    const moved = BASE.replace('prompt.tokens < 8k', 'prompt.tokens < 16k');
    const { changes } = diffPolicies(policy(BASE), policy(moved, 'q'));
    expect(changes.map((c) => [c.condition, c.before, c.after])).toEqual([['not pii and intent == summarize and 8000 ≤ prompt.tokens < 16000', 'big', 'mini']]);
    expect(changes[0]?.example).toMatchObject({ pii: false, intent: 'summarize' });
  });

  it('names the regions a new rule takes, and where a gap appears', () => {
    const added = BASE.replace('  when pii -> local\n', '  when pii -> local\n  when intent == chat and prompt contains "urgent" -> mini\n');
    const { changes } = diffPolicies(policy(BASE), policy(added, 'q'));
    expect(changes.map((c) => [c.condition, c.before, c.after])).toEqual([['not pii and intent == chat and prompt contains "urgent"', 'big', 'mini']]);
    const gap = BASE.replace('  otherwise -> big\n', '');
    const withGap = diffPolicies(policy(BASE), policy(gap, 'q')).changes;
    expect(withGap.every((c) => c.after === 'no rule matches')).toBe(true);
    expect(withGap.length).toBeGreaterThan(0);
  });
});

describe('routelang diff on versions of the examples (test/diff/<example>/old.route → new.route)', () => {
  const root = join(ROOT, 'test', 'diff');
  for (const name of readdirSync(root).sort()) {
    it(`${name}: the regions in expected.txt, exit 1`, async () => {
      const out: string[] = [];
      const io = { out: (t: string) => out.push(t), err: () => {}, color: false, version: 'test' };
      const status = await main(['diff', join(root, name, 'old.route'), join(root, name, 'new.route')], io);
      expect(status).toBe(1);
      await expect(`${out.join('\n')}\n`).toMatchFileSnapshot(join(root, name, 'expected.txt'));
    });
  }
});
