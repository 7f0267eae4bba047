// `routelang test FILE...`: runs the policies' `test` blocks, prints each result, the rules
// no test reaches, and the closing line "N passed, N failed"; exit 1 on any failure. The
// tests of a policy with errors cannot run and count as failed.

import { compilePolicy } from '../compile.js';
import { hasErrors } from '../diagnostics.js';
import { runPolicyTests } from '../testing.js';
import { expandFiles } from './files.js';
import type { CommandIO } from './io.js';
import { displayPath, renderText } from './render.js';

export async function runTest(args: readonly string[], io: CommandIO): Promise<number> {
  let passed = 0;
  let failed = 0;
  let broken = false;
  for (const file of expandFiles(args)) {
    const result = compilePolicy(file);
    if (hasErrors(result.diagnostics) || !result.ir || !result.compilation) {
      io.err(renderText(result.diagnostics, (f) => result.program.modules.get(f)?.source, io.color));
      // Tests that cannot run have not passed: each counts as failed (the policy itself when
      // none could be read), so a closing line never reads "0 failed" over a broken policy.
      const notRun = Math.max(1, result.policy.tests.size);
      io.err(
        `${displayPath(file)}: ${result.policy.tests.size === 0 ? 'no test could be read' : `${notRun} test${notRun === 1 ? '' : 's'} not run`}: the policy has errors`,
      );
      failed += notRun;
      broken = true;
      continue;
    }
    if (result.compilation.policy.tests.size === 0) continue;
    const report = await runPolicyTests(result.compilation, result.ir);
    io.out(displayPath(file));
    for (const outcome of report.outcomes) {
      const line = result.program.modules.get(outcome.file)?.source.position(outcome.node.span.start).line ?? 1;
      io.out(`  ${outcome.passed ? 'pass' : 'FAIL'}  ${outcome.name} (line ${line})`);
      for (const f of outcome.failures) io.out(`        ${f}`);
      if (outcome.passed) passed++;
      else failed++;
    }
    // Rule coverage: which rules of each route some test reaches.
    for (const route of result.compilation.routes.values()) {
      const hit = report.covered.get(route.name) ?? new Set<number>();
      const missing = route.rules.filter((r) => !hit.has(r.index));
      const name = route.name === null ? 'entry route' : `route ${route.name}`;
      const source = result.program.modules.get(route.info.file)?.source;
      io.out(
        `  coverage ${name}: ${route.rules.length - missing.length}/${route.rules.length} rules${missing.length > 0 ? `; untested: ${missing.map((r) => `line ${source?.position(r.node.span.start).line ?? 1}`).join(', ')}` : ''}`,
      );
    }
  }
  io.out(`${passed} passed, ${failed} failed`);
  return failed > 0 || broken ? 1 : 0;
}
