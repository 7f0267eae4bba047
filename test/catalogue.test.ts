// The diagnostic catalogue is kept honest: every code is raised by some fixture (or, for
// the few that no fixture file can carry, by a named test), and docs/diagnostics.md is
// exactly what the catalogue generates.

import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { CATALOGUE } from '../packages/dsl/src/diagnostics.js';
import { diagnosticsMarkdown } from '../packages/dsl/src/docs.js';
import { CONFORMANCE, ROOT, routeFiles } from './support/fixtures.js';

/** Codes no fixture file can raise, and the test that covers each instead. */
const COVERED_ELSEWHERE: Record<string, string> = {
  RL1009: 'test/bad-input.test.ts ("a 50 MB file")',
  RL1010: 'test/cli.test.ts ("a missing file is a clear error naming the path")',
  RL3009: 'test/soundness.test.ts ("an undecided question is reported (RL3009), never taken as a proof")',
};

describe('diagnostic catalogue', () => {
  it('every code is raised by a conformance fixture', () => {
    const raised = new Set<string>();
    for (const file of routeFiles(CONFORMANCE)) {
      const golden = JSON.parse(readFileSync(file.replace(/\.route$/, '.expected.json'), 'utf8')) as { diagnostics: { code: string }[] };
      for (const d of golden.diagnostics) raised.add(d.code);
    }
    const missing = Object.keys(CATALOGUE).filter((code) => !raised.has(code) && !(code in COVERED_ELSEWHERE));
    expect(missing).toEqual([]);
    // An exemption for a code that a fixture does raise is stale.
    expect(Object.keys(COVERED_ELSEWHERE).filter((c) => raised.has(c))).toEqual([]);
  });

  it('every message style rule holds for the catalogue', () => {
    for (const [code, kind] of Object.entries(CATALOGUE)) {
      expect(kind.summary, code).toMatch(/^[a-z`]/);
      expect(kind.summary.endsWith('.'), code).toBe(false);
    }
  });

  it('docs/diagnostics.md is generated from the catalogue (run `pnpm gen-docs`)', () => {
    expect(readFileSync(join(ROOT, 'docs', 'diagnostics.md'), 'utf8')).toBe(diagnosticsMarkdown());
  });
});
