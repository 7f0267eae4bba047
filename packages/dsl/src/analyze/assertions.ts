// Assertions (language.md §7.5): each must hold for every model that can serve a request
// on any path: fallbacks, cascade steps, split arms, adaptive candidates and named routes
// included. A failure names a request, the rule (chain) that decides it, and the model.

import { type AnalysisContext, lineOf } from './context.js';
import { decidingRules, plannedCalls } from './paths.js';
import { planText } from './plan-text.js';

export function checkAssertions(ctx: AnalysisContext): void {
  const { c } = ctx;
  const deciding = decidingRules(c);
  for (const assertion of c.assertions) {
    // An assertion without a label is named by its line.
    const name = assertion.label !== undefined ? `assertion "${assertion.label}"` : `the assertion on line ${lineOf(c, assertion.file, assertion.node.span)}`;
    const reported = new Set<string>();
    for (const d of deciding) {
      const models = [...new Set(plannedCalls(d.plan, d.inherited).map((call) => call.model))];
      for (const model of models) {
        const holds = assertion.perModel.get(model);
        if (holds === undefined) continue;
        const last = d.chain[d.chain.length - 1];
        const key = `${last?.route ?? ''}#${last?.rule.index}:${model}`;
        if (reported.has(key)) continue;
        const verdict = ctx.decide(c.diagrams.and(d.region, c.diagrams.not(holds)));
        if (verdict.kind === 'empty') continue;
        reported.add(key);
        const rule = d.chain[d.chain.length - 1]?.rule ?? d.entry;
        const file = c.routes.get(d.chain[d.chain.length - 1]?.route ?? null)?.info.file ?? assertion.file;
        if (verdict.kind === 'undecided') {
          ctx.undecided(file, rule.node.plan, `whether ${name} holds for \`${model}\` here`, verdict.reason, 'error');
          continue;
        }
        const example = verdict.example;
        const via =
          d.chain.length > 1
            ? ` (through ${d.chain.map((x) => `line ${lineOf(c, c.routes.get(x.route)?.info.file ?? file, x.rule.node.span)}`).join(' → ')})`
            : '';
        ctx.report(
          'RL3004',
          file,
          rule.node.plan,
          `${name} fails: this rule can send ${ctx.show(example)} to \`${model}\`${via}${planText(d.plan) === model ? '' : `, in \`${planText(d.plan)}\``}`,
          {
            help: `route such requests to models for which the assertion holds, or narrow the rule's condition`,
            related: [{ file: assertion.file, span: assertion.node.span, message: assertion.label !== undefined ? `the ${name}` : 'the assertion' }],
            counterexample: example.request,
          },
        );
      }
    }
  }
}
