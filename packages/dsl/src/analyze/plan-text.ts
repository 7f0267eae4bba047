// Plans printed as a policy author writes them, for messages.

import type { CallOptions, Plan } from '@routelang/runtime';

function options(o: CallOptions): string {
  const parts: string[] = [];
  if (o.timeoutMs !== undefined) parts.push(`timeout: ${o.timeoutMs % 1000 === 0 ? `${o.timeoutMs / 1000}s` : `${o.timeoutMs}ms`}`);
  if (o.maxTokens !== undefined) parts.push(`max_tokens: ${o.maxTokens}`);
  if (o.retries !== undefined) parts.push(`retries: ${o.retries}`);
  return parts.length > 0 ? ` with { ${parts.join(', ')} }` : '';
}

export function planText(plan: Plan): string {
  switch (plan.kind) {
    case 'model':
      return `${plan.model}${plan.options ? options(plan.options) : ''}`;
    case 'with':
      return `(${planText(plan.plan)})${options(plan.options)}`;
    case 'fallback':
      return `${planText(plan.primary)} fallback ${planText(plan.secondary)}${plan.on ? ` on [${plan.on.join(', ')}]` : ''}`;
    case 'cascade':
      return `cascade [${plan.steps.map(planText).join(', ')}] until ${plan.until.validator} ${plan.until.op} ${plan.until.threshold}`;
    case 'try':
      return `try ${plan.tool}${plan.until ? ` until ${plan.until.validator} ${plan.until.op} ${plan.until.threshold}` : ''} else ${planText(plan.otherwise)}`;
    case 'split':
      return `split by ${plan.field} { ${plan.arms.map((a) => `${planText(a.plan)}: ${a.weight}%`).join(', ')} }`;
    case 'shadow':
      return `${planText(plan.plan)} shadow ${plan.shadow} ${plan.share}%${plan.validator ? ` by ${plan.validator}` : ''}`;
    case 'rollout':
      return `rollout ${JSON.stringify(plan.name)} by ${plan.field} { control -> ${planText(plan.control)}, candidate -> ${planText(plan.candidate)} }`;
    case 'choice':
      return `${plan.strategy} [${plan.candidates.map(planText).join(', ')}]${plan.validator ? ` by ${plan.validator}` : ''}`;
    case 'deny':
      return `deny ${JSON.stringify(plan.reason)}`;
    case 'route':
      return plan.route;
  }
}
