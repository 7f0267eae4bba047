// The analyses over a compiled policy (language.md §7–§8): reachability and gaps,
// assertions, context windows, worst-case cost against the budget, fallback loops.
// Every finding that has one carries a counterexample request.

import type { Diagnostic } from '../diagnostics.js';
import type { Compilation } from '../graph/compile.js';
import { checkAssertions } from './assertions.js';
import { AnalysisContext } from './context.js';
import { checkFallbackLoops } from './loops.js';
import { checkReachability } from './reachability.js';
import { checkBudget, checkContextWindows, checkShadowBudget } from './resources.js';

export { decidingRules, maxPromptTokens, plannedCalls } from './paths.js';
export { dollars, worstCost } from './resources.js';
export type { Counterexample } from './witness.js';

/** Runs every analysis. */
export function analyze(compilation: Compilation): Diagnostic[] {
  const ctx = new AnalysisContext(compilation);
  checkReachability(ctx);
  checkAssertions(ctx);
  checkContextWindows(ctx);
  checkBudget(ctx);
  checkShadowBudget(ctx);
  checkFallbackLoops(ctx);
  return ctx.diagnostics;
}
