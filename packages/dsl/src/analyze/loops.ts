// Fallback loops (RL3007): a fallback that calls a model its primary already called, so
// the failure (and its cost) repeats. Named routes inside a fallback are followed.

import { type Plan, subPlans } from '@routelang/runtime';
import type * as A from '../ast.js';
import type { Compilation } from '../graph/compile.js';
import type { AnalysisContext } from './context.js';
import { planText } from './plan-text.js';

function modelsOf(plan: Plan, c: Compilation, seenRoutes: Set<string> = new Set()): Set<string> {
  const out = new Set<string>();
  const visit = (p: Plan): void => {
    if (p.kind === 'model') out.add(p.model);
    else if (p.kind === 'route') {
      if (seenRoutes.has(p.route)) return;
      seenRoutes.add(p.route);
      for (const r of c.routes.get(p.route)?.rules ?? []) visit(r.plan);
    } else subPlans(p).forEach(visit);
  };
  visit(plan);
  return out;
}

export function checkFallbackLoops(ctx: AnalysisContext): void {
  const { c } = ctx;
  for (const route of c.routes.values()) {
    for (const rule of route.rules) {
      const found: string[] = [];
      const visit = (p: Plan): void => {
        if (p.kind === 'fallback') {
          const again = [...modelsOf(p.secondary, c)].filter((m) => modelsOf(p.primary, c).has(m));
          if (again.length > 0) found.push(`${again.map((m) => `\`${m}\``).join(', ')} in \`${planText(p)}\``);
        }
        subPlans(p).forEach(visit);
      };
      visit(rule.plan);
      if (found.length > 0) {
        ctx.report('RL3007', route.info.file, rule.node.plan as A.Plan, `this fallback calls a model again after it failed: ${found.join('; ')}`, {
          help: 'fall back to a different model, ideally on another provider',
        });
      }
    }
  }
}
