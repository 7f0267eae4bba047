// Checks `test` blocks: inputs name declared fields with values of their types, and each
// expectation names a model or tool, a rule label that exists, or a valid plan.

import type * as A from '../ast.js';
import type { CheckContext } from './context.js';
import { literalOfType } from './fields.js';
import { PlanChecker, type PlanScope } from './plans.js';
import type { FieldInfo, TestInfo } from './policy.js';

export function checkTest(ctx: CheckContext, test: TestInfo, scope: PlanScope, fields: ReadonlyMap<string, FieldInfo>, labels: ReadonlySet<string>): void {
  const file = test.file;
  const seen = new Map<string, A.ObjectEntry>();
  for (const entry of test.node.given.entries) {
    const name = entry.key.name;
    const first = seen.get(name);
    if (first) {
      ctx.report('RL2011', file, entry.key, `\`${name}\` is given twice`, {
        help: 'remove one of them',
        related: [{ file, span: first.key.span, message: 'first value' }],
      });
      continue;
    }
    seen.set(name, entry);
    const field = fields.get(name);
    if (!field) {
      ctx.reportUnknown('RL2001', file, entry.key, 'field', fields.keys());
      continue;
    }
    // A prompt's size instead of its text: `prompt: 120k` is a prompt of 120,000 tokens, so a
    // test can reach rules on `prompt.tokens` without pasting a document into the policy.
    if (field.type.kind === 'text' && entry.value.kind === 'Number') {
      const v = entry.value;
      if (!Number.isInteger(v.value) || v.value < 0 || (v.unit !== 'none' && v.unit !== 'count'))
        ctx.report('RL2012', file, v, `\`${name}\` has type \`text\`; a number here is the prompt's size in tokens, a whole number, but this is \`${v.raw}\``, {
          help: 'write a size such as `120k` (a prompt of 120,000 tokens), or the text itself in quotes',
        });
      continue;
    }
    literalOfType(ctx, file, entry.value, field.type, 'RL2012', `\`${name}\``);
  }
  for (const expectation of test.node.expectations) {
    switch (expectation.kind) {
      case 'ExpectDeny':
        break;
      case 'ExpectBecause':
        if (!labels.has(expectation.label.value)) {
          ctx.report('RL2028', file, expectation.label, `no rule is labelled "${expectation.label.value}"`, {
            help: 'use the text after `because` of the rule you expect to match',
          });
        }
        break;
      case 'ExpectPlan':
        new PlanChecker(ctx, { ...scope, file }).check(expectation.plan);
        break;
      case 'ExpectTarget': {
        const n = expectation.target.name;
        if (scope.models.has(n) || scope.tools.has(n)) {
          scope.used.add(n);
          break;
        }
        if (scope.routeNames.has(n)) {
          ctx.report('RL2026', file, expectation.target, `\`${n}\` is a route; \`expect\` names the model or tool called first`, {
            help: 'name a model, or use `expect plan …`',
          });
          break;
        }
        ctx.reportUnknown('RL2002', file, expectation.target, 'model or tool', [...scope.models.keys(), ...scope.tools.keys()]);
        break;
      }
    }
  }
}
