// The README's first command ends in the demo: it must keep working.

import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ROOT } from './support/fixtures.js';

describe('the demo', () => {
  it('compiles, proves and tests every example and catches the planted mistakes', () => {
    const r = spawnSync(process.execPath, [join(ROOT, 'scripts', 'demo.js')], { cwd: ROOT, encoding: 'utf8', env: { ...process.env, NO_COLOR: '1' } });
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toContain('error RL2002: model or route `sonet` is not declared; did you mean `sonnet`?');
    expect(r.stdout).toContain('error RL3004: assertion "EU data stays in the EU" fails');
    expect(r.stdout.trimEnd().split('\n').pop()).toBe('9 policies compiled, proved and tested; everything as expected.');
  });
});
