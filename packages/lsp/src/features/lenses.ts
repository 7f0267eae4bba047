// Inlay hints (each rule's worst-case cost and reachable models, after the rule) and code
// lenses ("run test" on each `test` block, showing whether it passes).

import { dollars, type TestDecl } from '@routelang/dsl';
import { type CodeLens, type InlayHint, InlayHintKind, type Range } from 'vscode-languageserver';
import { toOffset, toPosition, toRange } from '../convert.js';
import { costLabel } from '../rule-summary.js';
import { pathToUri } from '../uri.js';
import type { Workspace } from '../workspace.js';

/**
 * The command a test lens runs; the server executes it (`workspace/executeCommand`) with a
 * document URI and optionally a test name. (The VS Code extension maps lenses to its own
 * `routelang.runTests`, which calls this and shows the results.)
 */
export const RUN_TESTS_COMMAND = 'routelang.server.runTests';

export function inlayHints(workspace: Workspace, file: string, range: Range): InlayHint[] {
  const analysis = workspace.analysis(file);
  const source = analysis.source(file);
  if (!source) return [];
  const from = toOffset(source, range.start);
  const to = toOffset(source, range.end);
  const out: InlayHint[] = [];
  for (const decl of analysis.front.program.modules.get(file)?.module.declarations ?? []) {
    if (decl.kind !== 'RouteDecl' || decl.span.end < from || decl.span.start > to) continue;
    for (const rule of decl.rules) {
      const summary = workspace.ruleSummary(file, file, rule.span.start);
      if (!summary || rule.span.end < from || rule.span.end > to) continue;
      out.push({
        position: toPosition(source, rule.span.end),
        label: costLabel(summary),
        kind: InlayHintKind.Type,
        paddingLeft: true,
        tooltip: {
          kind: 'markdown',
          value: [
            `worst case ${dollars(summary.worstCost)} per request`,
            ...summary.breakdown.map((p) => `- ${p}`),
            `can call: ${summary.models.join(', ') || 'no model'}`,
          ].join('\n'),
        },
      });
    }
  }
  return out;
}

/** Test lenses; results come from the latest analysis report (the server refreshes lenses when one arrives). */
export function codeLenses(workspace: Workspace, file: string): CodeLens[] {
  const analysis = workspace.analysis(file);
  const source = analysis.source(file);
  if (!source) return [];
  const tests = (analysis.front.program.modules.get(file)?.module.declarations ?? []).filter((d): d is TestDecl => d.kind === 'TestDecl');
  if (tests.length === 0) return [];
  const report = workspace.freshReport(file);
  return tests.map((test) => {
    const outcome = report?.tests?.find((o) => o.file === file && o.start === test.span.start);
    const title =
      analysis.hasErrors || (report && !report.tests)
        ? '▶ run test (fix the errors first)'
        : !outcome
          ? '▶ run test'
          : outcome.passed
            ? '✓ test passes — run again'
            : `✗ test fails: ${outcome.failures[0] ?? ''}`;
    return { range: toRange(source, test.span), command: { title, command: RUN_TESTS_COMMAND, arguments: [pathToUri(file), test.name.value] } };
  });
}
