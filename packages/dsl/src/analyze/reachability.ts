// Reachability: rules whose condition can never hold (RL3001), rules that earlier rules
// shadow entirely, naming those rules (RL3002), and routes without `otherwise` that leave
// some requests undecided, with such a request (RL3003).

import { FALSE, isRuleLeaf, leafRule } from '../graph/diagram.js';
import { type AnalysisContext, lineOf } from './context.js';
import { reachRegions } from './paths.js';

export function checkReachability(ctx: AnalysisContext): void {
  const { c } = ctx;
  const reach = reachRegions(c);
  for (const route of c.routes.values()) {
    const file = route.info.file;
    const where = route.name === null ? 'the entry route' : `route \`${route.name}\``;
    // A named route matters only on the inputs that continue in it.
    const reached = reach.get(route.name) ?? FALSE;
    if (reached === FALSE) continue;
    for (const rule of route.rules) {
      const what = rule.condition ? 'this rule' : '`otherwise`';
      const decides = ctx.decide(c.diagrams.and(rule.region, reached));
      if (decides.kind === 'example') continue;
      if (decides.kind === 'undecided') {
        ctx.undecided(file, rule.node, `whether ${what} decides any request`, decides.reason, 'warning');
        continue;
      }
      const when = c.diagrams.and(rule.when, reached);
      const matches = ctx.decide(when);
      if (matches.kind === 'undecided') {
        ctx.undecided(file, rule.node, `whether ${what} matches any request`, matches.reason, 'warning');
        continue;
      }
      if (matches.kind === 'empty') {
        ctx.report('RL3001', file, rule.node.condition ?? rule.node, `this condition can never hold, so the rule never matches`, {
          help: 'no request satisfies it; fix the condition or remove the rule',
        });
        continue;
      }
      // The rules that take this rule's requests are those that decide some of them.
      // Candidates are the rule leaves of the route's diagram restricted to `when` (one walk),
      // not every earlier rule (one conjunction each: quadratic on long routes).
      const candidates = new Set([...c.diagrams.terminalsWithin(route.root, when)].filter(isRuleLeaf).map(leafRule));
      const earlier = route.rules.slice(0, rule.index).filter((e) => candidates.has(e.index) && ctx.example(c.diagrams.and(e.region, when)));
      // An earlier rule whose condition alone matches every request of this one is the
      // reason it is dead: name it first; the others only take some requests before it.
      // Only among the rules that take some of its requests: work bounded by the finding.
      const cover = earlier.find((e) => e.condition !== undefined && ctx.decide(c.diagrams.and(when, c.diagrams.not(e.when))).kind === 'empty');
      const others = earlier.filter((e) => e !== cover);
      const line = (e: (typeof earlier)[number]): number => lineOf(c, file, e.node.span);
      const list = (rules: typeof earlier): string =>
        rules.length === 1
          ? `line ${line(rules[0] as (typeof earlier)[number])}`
          : `lines ${rules.slice(0, -1).map(line).join(', ')} and ${line(rules[rules.length - 1] as (typeof earlier)[number])}`;
      const by = cover
        ? `the rule at line ${line(cover)} (\`${cover.text}\`) matches every request it would${others.length > 0 ? ` (the rule${others.length === 1 ? '' : 's'} at ${list(others)} take${others.length === 1 ? 's' : ''} some of them first)` : ''}`
        : earlier.length === 1
          ? `the rule at ${list(earlier)} already matches every request it would`
          : `the rules at ${list(earlier)} already match every request it would`;
      ctx.report('RL3002', file, rule.node, `${what} is never reached: ${by}`, {
        help: rule.condition
          ? 'move it above the rules that shadow it, narrow them, or remove it'
          : 'the rules above cover every request; remove `otherwise` or narrow them',
        related: [
          ...(cover ? [{ file, span: cover.node.span, message: `this rule's condition matches every request of the shadowed rule (\`${cover.text}\`)` }] : []),
          ...others.map((e) => ({ file, span: e.node.span, message: `this rule matches first (\`${e.text}\`)` })),
        ],
      });
    }
    const last = route.rules[route.rules.length - 1];
    if (last && !last.condition) continue;
    const gap = ctx.decide(
      c.diagrams.and(
        reached,
        c.diagrams.reaches(route.root, (t) => t === FALSE),
      ),
    );
    if (gap.kind === 'undecided')
      ctx.undecided(file, { span: route.info.node.keyword }, `whether every request matches a rule of ${where}`, gap.reason, 'error');
    if (gap.kind === 'example') {
      ctx.report('RL3003', file, { span: route.info.node.keyword }, `no rule of ${where} matches some requests, for example ${ctx.show(gap.example)}`, {
        help: 'add `otherwise -> PLAN` (or `otherwise -> deny "reason"`) as the last rule',
        counterexample: gap.example.request,
      });
    }
  }
}
