// `routelang explain FILE --request JSON`: the decision for one request, and why, rule by rule.

import { inCandidate, type Plan, Router, rolloutBucket, subPlans } from '@routelang/runtime';
import { planText } from '../analyze/plan-text.js';
import { compilePolicy } from '../compile.js';
import { hasErrors } from '../diagnostics.js';
import type { CommandIO } from './io.js';
import { renderText } from './render.js';

export async function runExplain(file: string, requestJson: string, format: 'text' | 'json', io: CommandIO): Promise<number> {
  let request: unknown;
  try {
    request = JSON.parse(requestJson);
  } catch (error) {
    io.err(`routelang: --request is not JSON: ${(error as Error).message}`);
    return 2;
  }
  const result = compilePolicy(file);
  if (hasErrors(result.diagnostics) || !result.ir) {
    io.err(renderText(result.diagnostics, (f) => result.program.modules.get(f)?.source, io.color));
    return 1;
  }
  const router = await Router.load(result.ir);
  const decision = router.decide(request);
  if (!decision.ok) {
    if (format === 'json') io.out(JSON.stringify({ ok: false, errors: decision.errors }, null, 2));
    else for (const e of decision.errors) io.out(`refused: ${e.field ? `${e.field}: ` : ''}${e.message} (${e.code})`);
    return 1;
  }
  const trace = decision.explain();
  const rollouts = rolloutsOf(decision.resolved).map((r) => {
    const bucket = rolloutBucket(r.name, decision.request[r.field]);
    return { name: r.name, field: r.field, bucket, stages: r.stages.map((share) => ({ share, arm: inCandidate(bucket, share) ? 'candidate' : 'control' })) };
  });
  if (format === 'json') {
    io.out(
      JSON.stringify(
        {
          ok: true,
          rule: decision.rule,
          path: decision.path,
          plan: decision.plan,
          resolved: decision.resolved,
          models: decision.models,
          first: decision.first,
          request: decision.request,
          rollouts,
          trace,
        },
        null,
        2,
      ),
    );
    return 0;
  }
  io.out(`request  ${JSON.stringify(decision.request)}`);
  io.out(
    `decision ${decision.rule.route === null ? '' : `route ${decision.rule.route}, `}rule ${decision.rule.index + 1} (line ${decision.rule.line})${decision.rule.label ? ` "${decision.rule.label}"` : ''}`,
  );
  io.out(
    `plan     ${planText(decision.plan)}${planText(decision.resolved) !== planText(decision.plan) ? `  (for this request: ${planText(decision.resolved)})` : ''}`,
  );
  io.out(`models   ${decision.models.join(', ') || '(none)'}`);
  for (const r of rollouts) {
    // What each stage sends this request's key to: the checker's per-request view of a rollout.
    const from = r.stages.find((s) => s.arm === 'candidate');
    const control = r.stages.filter((s) => s.arm === 'control').map((s) => `${s.share}%`);
    io.out(
      `rollout  "${r.name}" by ${r.field}: this key is bucket ${r.bucket.toLocaleString('en-US')} of 10,000; ${
        control.length > 0 ? `the control at stage${control.length === 1 ? '' : 's'} ${control.join(', ')}, ` : ''
      }${from ? `the candidate from ${from.share}%` : 'never the candidate'} (and the control once rolled back)`,
    );
  }
  io.out('why');
  for (const step of trace) {
    io.out(
      `  ${step.matched ? 'match' : 'no   '}  line ${String(step.rule.line).padEnd(4)} ${step.rule.route === null ? '' : `[${step.rule.route}] `}${step.condition === 'otherwise' ? 'otherwise' : `when ${step.condition}`}`,
    );
  }
  return 0;
}

/** The rollouts in a plan, outermost first. */
function rolloutsOf(plan: Plan): Extract<Plan, { kind: 'rollout' }>[] {
  const out: Extract<Plan, { kind: 'rollout' }>[] = [];
  const visit = (p: Plan): void => {
    if (p.kind === 'rollout') out.push(p);
    for (const sub of subPlans(p)) visit(sub);
  };
  visit(plan);
  return out;
}
