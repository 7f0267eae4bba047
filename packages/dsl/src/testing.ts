// Runs a policy's `test` blocks against its compiled IR with the real runtime, and
// measures rule coverage. Used by `routelang test` (and the editor's code lens).

import { type Decision, type Plan, type PolicyIR, Router, type TokenizerName, type Value } from '@routelang/runtime';
import { planText } from './analyze/plan-text.js';
import type * as A from './ast.js';
import type { Compilation } from './graph/compile.js';
import { literalValue, lowerPlan } from './lower.js';

export interface TestOutcome {
  readonly name: string;
  readonly file: string;
  readonly node: A.TestDecl;
  readonly passed: boolean;
  /** Why it failed (one line per failed expectation). */
  readonly failures: readonly string[];
  readonly decision: Decision | undefined;
}

export interface TestReport {
  readonly outcomes: readonly TestOutcome[];
  /** Rules matched by at least one test, per route (null = entry), as rule indexes. */
  readonly covered: ReadonlyMap<string | null, ReadonlySet<number>>;
}

/**
 * A prompt of exactly `tokens` tokens in the GPT tokenizers (o200k and cl100k): single
 * letters separated by spaces, each letter with its space one token. For `given { prompt: 120k }`.
 */
export function promptOfTokens(tokens: number): string {
  const letters = 'abcdefghijklmnopqrstuvwxyz';
  let out = '';
  for (let i = 0; i < tokens; i++) out += i === 0 ? letters[0] : ` ${letters[i % 26]}`;
  return out;
}

/** Runs every test of the policy. */
export async function runPolicyTests(compilation: Compilation, ir: PolicyIR, options: { tokenizer?: TokenizerName } = {}): Promise<TestReport> {
  const router = await Router.load(ir, options.tokenizer ? { tokenizer: options.tokenizer } : {});
  const outcomes: TestOutcome[] = [];
  const covered = new Map<string | null, Set<number>>();
  for (const test of compilation.policy.tests.values()) {
    const request: Record<string, Value> = {};
    for (const entry of test.node.given.entries) {
      const value = literalValue(entry.value);
      const text = compilation.policy.fields.get(entry.key.name)?.type.kind === 'text';
      request[entry.key.name] = text && typeof value === 'number' ? promptOfTokens(value) : value;
    }
    const result = router.decide(request);
    const failures: string[] = [];
    if (!result.ok) {
      failures.push(`the request is refused: ${result.errors.map((e) => `${e.field ? `${e.field}: ` : ''}${e.message}`).join('; ')}`);
      outcomes.push({ name: test.name, file: test.file, node: test.node, passed: false, failures, decision: undefined });
      continue;
    }
    for (const step of result.path) {
      if (!covered.has(step.route)) covered.set(step.route, new Set());
      covered.get(step.route)?.add(step.index);
    }
    for (const expectation of test.node.expectations) {
      const failure = check(expectation, result, compilation);
      if (failure) failures.push(failure);
    }
    outcomes.push({ name: test.name, file: test.file, node: test.node, passed: failures.length === 0, failures, decision: result });
  }
  return { outcomes, covered };
}

function check(expectation: A.Expectation, decision: Decision, compilation: Compilation): string | undefined {
  const where = `the rule at line ${decision.rule.line}`;
  switch (expectation.kind) {
    case 'ExpectTarget':
      return decision.first === expectation.target.name
        ? undefined
        : `expected \`${expectation.target.name}\` to be called first, but ${where} calls ${decision.first ? `\`${decision.first}\`` : 'nothing'} first`;
    case 'ExpectDeny':
      return decision.resolved.kind === 'deny' ? undefined : `expected a denial, but ${where} runs \`${describePlan(decision.resolved)}\``;
    case 'ExpectBecause': {
      const labels = decision.path.map((p) => p.label).filter((l): l is string => l !== undefined);
      return labels.includes(expectation.label.value)
        ? undefined
        : `expected the rule labelled "${expectation.label.value}", but ${where} decided${labels.length > 0 ? ` (labelled "${labels.join('", "')}")` : ' (it has no label)'}`;
    }
    case 'ExpectPlan': {
      const want = lowerPlan(expectation.plan, compilation.policy);
      return JSON.stringify(want) === JSON.stringify(decision.plan)
        ? undefined
        : `expected the plan \`${describePlan(want)}\`, but ${where} has \`${describePlan(decision.plan)}\``;
    }
  }
}

function describePlan(plan: Plan): string {
  return planText(plan);
}
