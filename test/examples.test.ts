// Every bundled example checks without a diagnostic and is canonically formatted.

import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { compilePolicy } from '../packages/dsl/src/compile.js';
import { format } from '../packages/dsl/src/format.js';
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
