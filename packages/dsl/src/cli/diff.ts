// `routelang diff OLD NEW [--format json]`: the input regions whose decision changes.
// Exit 0 when nothing changes, 1 when something does (a CI gate), 2 on usage errors.

import { loadTokenizer, type Plan, type PolicyIR, Router } from '@routelang/runtime';
import { compilePolicy } from '../compile.js';
import { hasErrors } from '../diagnostics.js';
import { diffPolicies } from '../diff.js';
import { DiagramTooLarge } from '../graph/diagram.js';
import { MAX_TRAFFIC_BYTES, readBoundedText } from '../read.js';
import type { CommandIO } from './io.js';
import { displayPath, renderText } from './render.js';

export async function runDiff(oldFile: string, newFile: string, format: 'text' | 'json', traffic: string | undefined, io: CommandIO): Promise<number> {
  const results = [compilePolicy(oldFile), compilePolicy(newFile)] as const;
  for (const r of results) {
    if (hasErrors(r.diagnostics) || !r.ir) {
      io.err(renderText(r.diagnostics, (f) => r.program.modules.get(f)?.source, io.color));
      io.err(`${displayPath(r.program.entry)}: has errors; fix them before diffing`);
      return 2;
    }
  }
  let diff: ReturnType<typeof diffPolicies>;
  try {
    diff = diffPolicies(results[0].policy, results[1].policy);
  } catch (error) {
    if (!(error instanceof DiagramTooLarge)) throw error;
    io.err(`routelang: ${error.message}; the two policies are too large to compare region by region`);
    return 2;
  }
  let moved: TrafficMove | undefined;
  if (traffic !== undefined) {
    const m = await measureTraffic(results[0].ir as PolicyIR, results[1].ir as PolicyIR, traffic);
    if (typeof m === 'string') {
      io.err(`routelang: ${m}`);
      return 2;
    }
    moved = m;
  }
  if (format === 'json') {
    io.out(JSON.stringify({ changes: diff.changes, omitted: diff.omitted, ...(moved ? { traffic: moved } : {}) }, null, 2));
  } else if (diff.changes.length === 0) {
    io.out('no decision changes: every request is routed as before');
  } else {
    // Grouped by change: one heading per (before → after), then each region it covers.
    const groups = new Map<string, typeof diff.changes>();
    for (const c of diff.changes) {
      const key = `${c.before}  →  ${c.after}`;
      groups.set(key, [...(groups.get(key) ?? []), c]);
    }
    for (const [change, regions] of groups) {
      io.out(`${change}`);
      for (const r of regions) io.out(`    when ${r.condition}\n        e.g. ${JSON.stringify(r.example)}`);
    }
    io.out(`${diff.changes.length}${diff.omitted > 0 ? ` (+${diff.omitted} more)` : ''} region${diff.changes.length === 1 ? '' : 's'} change`);
  }
  if (moved && format === 'text') {
    const pct = moved.requests === 0 ? 0 : (100 * moved.moved) / moved.requests;
    const delta = moved.costAfter - moved.costBefore;
    io.out(
      `traffic: ${moved.moved.toLocaleString('en-US')} of ${moved.requests.toLocaleString('en-US')} requests move (${pct.toFixed(1)}%); estimated cost of those requests $${moved.costBefore.toFixed(4)} → $${moved.costAfter.toFixed(4)} (${delta >= 0 ? '+' : '−'}$${Math.abs(delta).toFixed(4)})${moved.invalid > 0 ? `; ${moved.invalid} lines skipped (invalid)` : ''}`,
    );
  }
  return diff.changes.length > 0 ? 1 : 0;
}

/** How much recorded traffic a change moves. */
export interface TrafficMove {
  readonly requests: number;
  readonly moved: number;
  /** Lines that are not JSON or that either policy refuses. */
  readonly invalid: number;
  /** Estimated dollars for the moved requests under each policy (the first call of each plan). */
  readonly costBefore: number;
  readonly costAfter: number;
}

/**
 * Replays a JSONL traffic file through both compiled policies with the real runtime and
 * counts the requests whose plan changes. The cost estimate is each plan's first model call:
 * the request's prompt tokens in, the plan's output cap (\`max_tokens\`, else \`max_output\`) out.
 */
export async function measureTraffic(before: PolicyIR, after: PolicyIR, file: string): Promise<TrafficMove | string> {
  const read = readBoundedText(file, MAX_TRAFFIC_BYTES);
  if (!read.ok) return `cannot read ${file}: it ${read.reason}`;
  const text = read.text;
  const countTokens = await loadTokenizer('o200k_base');
  const routers = [await Router.load(before, { tokenizer: countTokens }), await Router.load(after, { tokenizer: countTokens })] as const;
  const prompt = before.inputs.find((f) => f.type.kind === 'text')?.name;
  let requests = 0;
  let moved = 0;
  let invalid = 0;
  let costBefore = 0;
  let costAfter = 0;
  for (const line of text.split('\n')) {
    if (line.trim() === '') continue;
    requests++;
    let request: unknown;
    try {
      request = JSON.parse(line);
    } catch {
      invalid++;
      continue;
    }
    const a = routers[0].decide(request);
    const b = routers[1].decide(request);
    if (!a.ok || !b.ok) {
      invalid++;
      continue;
    }
    if (JSON.stringify(a.resolved) === JSON.stringify(b.resolved)) continue;
    moved++;
    const promptText = prompt === undefined ? undefined : a.request[prompt];
    const promptTokens = typeof promptText === 'string' ? countTokens(promptText) : 0;
    costBefore += firstCallCost(a.resolved, before, promptTokens);
    costAfter += firstCallCost(b.resolved, after, promptTokens);
  }
  return { requests, moved, invalid, costBefore, costAfter };
}

function firstCallCost(plan: Plan, ir: PolicyIR, promptTokens: number, maxTokens?: number): number {
  switch (plan.kind) {
    case 'model': {
      const m = ir.models.find((x) => x.name === plan.model);
      if (!m) return 0;
      const out = plan.options?.maxTokens ?? maxTokens ?? m.maxOutput ?? 0;
      return Math.min(promptTokens, m.context) * m.inputPrice + out * m.outputPrice;
    }
    case 'with':
      return firstCallCost(plan.plan, ir, promptTokens, plan.options.maxTokens ?? maxTokens);
    case 'fallback':
      return firstCallCost(plan.primary, ir, promptTokens, maxTokens);
    case 'cascade':
      return plan.steps[0] ? firstCallCost(plan.steps[0], ir, promptTokens, maxTokens) : 0;
    case 'choice':
      return plan.candidates[0] ? firstCallCost(plan.candidates[0], ir, promptTokens, maxTokens) : 0;
    case 'try':
      return ir.tools.find((t) => t.name === plan.tool)?.cost ?? 0;
    default:
      return 0;
  }
}
