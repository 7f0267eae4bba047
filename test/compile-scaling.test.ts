// The compile-scaling guard: compile time must grow linearly with the number of rules on
// policies whose decision graph is linear in size. Timing is too noisy on shared machines
// to guard this, so the guard counts work instead: `Diagrams.work` (regions visited by the
// diagram operations, leaf regions read off, witnesses walked, constants scanned for
// counterexamples) and the nodes made. Both are deterministic, so a step that turns
// quadratic — `leafRegions` scanning every region once per rule did, making 10,000 rules
// take 40 s — fails here whatever the machine's load.
//
// Shapes: the multi-tenant policies of `bench/decide.js` (one literal per tenant, so the
// `tenant` node has as many regions as there are rules, plus enums and token bounds), and
// tenant rules on the prompt's text and size with fallbacks, cascades and an assertion over
// every model (counterexamples for every rule). Not guarded, because not linear by nature:
// a chain of rules each on its own boolean (`prompt contains "kN"`) — every rule's region
// is "none of the earlier ones, and this one", i nodes for rule i, so the regions the
// analyses read are quadratic in total (docs/performance.md gives the figures).

import { describe, expect, it } from 'vitest';
import { routelangText, tenantRules } from '../bench/tenant-policy.js';
import { compilePolicy } from '../packages/dsl/src/compile.js';
import { nodeHost } from '../packages/dsl/src/load.js';

interface Measure {
  readonly work: number;
  readonly nodes: number;
}

function measure(text: string): Measure {
  const path = '/virtual/scaling.route';
  const result = compilePolicy(path, nodeHost(new Map([[path, text]])));
  const errors = result.diagnostics.filter((d) => d.severity === 'error');
  expect(errors.map((d) => `${d.code} ${d.message}`)).toEqual([]);
  const diagrams = result.compilation?.diagrams;
  if (!diagrams) throw new Error('no compilation');
  return { work: diagrams.work, nodes: diagrams.size };
}

function tenantsWithText(n: number): string {
  const model = ['mini', 'big', 'local'];
  const rules = Array.from({ length: n }, (_, i) =>
    i % 2 === 0
      ? `  when tenant == "t${i}" and (prompt contains "urgent" or prompt.tokens > ${(i % 8) + 1}k) -> ${model[i % 3]} fallback mini`
      : `  when tenant in ["t${i}", "u${i}"] and not (prompt contains "draft") -> cascade [mini, ${model[i % 3]}] until quality >= 0.7`,
  );
  return [
    'policy tenants',
    'model mini { provider = "p" id = "mini" price = { input: $1 per 1M, output: $1 per 1M } context = 32k }',
    'model big { provider = "p" id = "big" price = { input: $3 per 1M, output: $9 per 1M } context = 128k }',
    'model local { provider = "p" id = "local" price = { input: $0 per 1M, output: $0 per 1M } context = 8k deployment = on_prem }',
    'input {\n  prompt: text\n  tenant: string\n  pii: bool = false\n}',
    'validator quality = extern "quality_score"',
    'route {',
    '  when pii -> local',
    ...rules,
    '  otherwise -> mini',
    '}',
    'assert "pii stays home": pii implies model.deployment == on_prem',
    '',
  ].join('\n');
}

// Doubling the rules may at most double the work, with room for the log factor of building
// routes by halves (measured: 2.02–2.08× per doubling on both shapes).
const PER_DOUBLING = 2.3;

describe('compile work grows linearly with the rules', () => {
  it.each([
    ['multi-tenant rules', (n: number) => routelangText(tenantRules(n)), [500, 1_000, 2_000, 4_000]],
    ['tenant rules on the text of the prompt, with an assertion', tenantsWithText, [250, 500, 1_000, 2_000]],
  ] as const)('%s', (_, policy, sizes) => {
    const measures = sizes.map((n) => measure(policy(n)));
    for (let i = 1; i < measures.length; i++) {
      const before = measures[i - 1] as Measure;
      const after = measures[i] as Measure;
      const growth = { work: after.work / before.work, nodes: after.nodes / before.nodes };
      expect(growth.work, `work ${before.work} → ${after.work} from ${sizes[i - 1]} to ${sizes[i]} rules`).toBeLessThanOrEqual(PER_DOUBLING);
      expect(growth.nodes, `nodes ${before.nodes} → ${after.nodes} from ${sizes[i - 1]} to ${sizes[i]} rules`).toBeLessThanOrEqual(PER_DOUBLING);
    }
  });
});
