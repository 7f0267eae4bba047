// Every bundled example checks without a diagnostic and is canonically formatted.

import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, dirname, join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { compilePolicy } from '../packages/dsl/src/compile.js';
import { format } from '../packages/dsl/src/format.js';
import { Router } from '../packages/runtime/src/index.js';
import { EXAMPLES, generateTraffic } from '../scripts/generate-traffic.js';
import { ROOT, routeFiles } from './support/fixtures.js';

describe('examples', () => {
  const files = routeFiles(join(ROOT, 'examples'), true);
  it('there are examples', () => expect(files.length).toBeGreaterThanOrEqual(7));
  for (const file of files) {
    const name = file.slice(ROOT.length + 1);
    it(`${name} checks clean`, () => {
      expect(compilePolicy(file).diagnostics.map((d) => `${d.code} ${d.message}`)).toEqual([]);
    });
    it(`${name} is formatted`, () => {
      const text = readFileSync(file, 'utf8');
      const result = format(text, file);
      expect(result.ok && result.text).toBe(text);
    });
  }
});

describe('sample traffic', () => {
  const dir = mkdtempSync(join(tmpdir(), 'routelang-traffic-'));
  const policies = routeFiles(join(ROOT, 'examples'), true).filter((f) => !f.endsWith('catalog.route'));

  it('has a generator for every example policy', () => {
    expect([...EXAMPLES].sort()).toEqual(policies.map((f) => basename(dirname(f))).sort());
  });

  for (const name of EXAMPLES) {
    it(`${name}: 5,000 requests, the same on every run, nearly all valid for the policy`, async () => {
      const a = readFileSync(generateTraffic(name, 5_000, join(dir, `${name}-a.jsonl`)), 'utf8');
      const b = readFileSync(generateTraffic(name, 5_000, join(dir, `${name}-b.jsonl`)), 'utf8');
      expect(createHash('sha256').update(a).digest('hex')).toBe(createHash('sha256').update(b).digest('hex'));
      const lines = a.trimEnd().split('\n');
      expect(lines).toHaveLength(5_000);
      const ir = compilePolicy(join(ROOT, 'examples', name, 'policy.route')).ir;
      if (!ir) throw new Error(`${name} does not compile`);
      const router = await Router.load(ir, { tokenizer: (t) => Math.ceil(t.length / 4) });
      let valid = 0;
      for (const line of lines) {
        try {
          if (router.decide(JSON.parse(line)).ok) valid++;
        } catch {
          // A line cut off mid-write: invalid on purpose.
        }
      }
      // About one line in 500 is damaged on purpose (typo, old enum member, cut off).
      expect(valid / lines.length).toBeGreaterThan(0.995);
      expect(valid).toBeLessThan(lines.length);
    });
  }
});
