// The conformance suite: every `.route` file under test/conformance (except `lib/` files,
// which others import) is checked, and its diagnostics must equal the golden
// `<case>.expected.json` beside it. `pnpm test -u` rewrites goldens after a reviewed change.

import { existsSync, readFileSync } from 'node:fs';
import { basename, dirname, join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';
import { compilePolicy } from '../packages/dsl/src/compile.js';
import { Router } from '../packages/runtime/src/index.js';
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
      const diagnostics = goldenDiagnostics(result.diagnostics, sources, dirname(file));
      const golden: { diagnostics: typeof diagnostics; decisions?: unknown[]; ir?: unknown } = { diagnostics };
      // With `<case>.requests.json` beside it, the golden also holds the IR and each decision.
      const requestsFile = join(dirname(file), `${basename(file, '.route')}.requests.json`);
      if (existsSync(requestsFile)) {
        expect(result.ir, 'a fixture with requests must compile').toBeDefined();
        if (result.ir) {
          const router = await Router.load(result.ir);
          const requests = JSON.parse(readFileSync(requestsFile, 'utf8')) as unknown[];
          golden.decisions = requests.map((request) => {
            const d = router.decide(request);
            return d.ok
              ? {
                  request,
                  rule: { route: d.rule.route, index: d.rule.index, line: d.rule.line, label: d.rule.label ?? null },
                  first: d.first ?? null,
                  models: d.models,
                }
              : { request, errors: d.errors };
          });
          golden.ir = result.ir;
        }
      }
      const expected = join(dirname(file), `${basename(file, '.route')}.expected.json`);
      await expect(`${JSON.stringify(golden, null, 2)}\n`).toMatchFileSnapshot(expected);
      // A fixture under valid/ must have no errors at all.
      if (name.startsWith('valid')) expect(diagnostics.filter((d) => d.severity === 'error')).toEqual([]);
    });
  }
});
