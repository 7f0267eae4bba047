// The conformance suite: every `.route` file under test/conformance (except `lib/` files,
// which others import) is checked, and its diagnostics must equal the golden
// `<case>.expected.json` beside it. `pnpm test -u` rewrites goldens after a reviewed change.

import { basename, dirname, join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';
import { compilePolicy } from '../packages/dsl/src/compile.js';
import { CONFORMANCE, goldenDiagnostics, routeFiles } from './support/fixtures.js';

const cases = routeFiles(CONFORMANCE);

describe('conformance', () => {
  it('has at least 100 fixtures', () => {
    expect(cases.length).toBeGreaterThanOrEqual(100);
  });

  for (const file of cases) {
    const name = relative(CONFORMANCE, file);
    it(name, async () => {
      const result = compilePolicy(file);
      const sources = (f: string) => result.program.modules.get(f)?.source;
      const golden = { diagnostics: goldenDiagnostics(result.diagnostics, sources, dirname(file)) };
      const expected = join(dirname(file), `${basename(file, '.route')}.expected.json`);
      await expect(`${JSON.stringify(golden, null, 2)}\n`).toMatchFileSnapshot(expected);
      // A fixture under valid/ must have no errors at all.
      if (name.startsWith('valid')) expect(golden.diagnostics.filter((d) => d.severity === 'error')).toEqual([]);
    });
  }
});
