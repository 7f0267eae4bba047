// The decision graph agrees with the reference interpreter: random well-typed policies ×
// random requests, every decision compared (the rules followed, or no match).
// CI runs 100,000 cases; `pnpm differential` runs ten million (ROUTELANG_DIFF_CASES sets the count).

import { describe, expect, it } from 'vitest';
import { checkPolicy } from '../packages/dsl/src/compile.js';
import { emitIR } from '../packages/dsl/src/emit.js';
import { compileRoutes } from '../packages/dsl/src/graph/compile.js';
import { nodeHost } from '../packages/dsl/src/load.js';
import { Router } from '../packages/runtime/src/index.js';
import { generatePolicy, Rng } from './support/generate.js';
import { interpret } from './support/interpreter.js';
import { randomRequest, wordCount } from './support/requests.js';

/** Runs `policies` × `requestsPerPolicy` cases from `seed`; returns the number compared. */
function differential(seed: number, policies: number, requestsPerPolicy: number): number {
  let cases = 0;
  for (let p = 0; p < policies; p++) {
    const policySeed = seed + p * 7919;
    const generated = generatePolicy(policySeed, { untidy: false });
    const path = `/virtual/diff-${policySeed}.route`;
    const checked = checkPolicy(path, nodeHost(new Map([[path, generated.text]])));
    const errors = checked.diagnostics.filter((d) => d.severity === 'error');
    expect(errors, generated.text).toEqual([]);
    const router = Router.loadSync(emitIR(compileRoutes(checked.policy)), wordCount);
    const rng = new Rng(policySeed ^ 0x5bd1e995);
    for (let r = 0; r < requestsPerPolicy; r++) {
      const request = randomRequest(generated, rng);
      const expected = interpret(checked.policy, request, wordCount);
      const decision = router.decide(request);
      const actual = decision.ok
        ? { kind: 'decided', path: decision.path.map((p) => ({ route: p.route, index: p.index })) }
        : decision.errors.length === 1 && decision.errors[0]?.code === 'no_rule_matched'
          ? { kind: 'no-match' }
          : { kind: 'refused', errors: decision.errors };
      if (JSON.stringify(actual) !== JSON.stringify(expected)) {
        expect({ actual, request }, `policy seed ${policySeed}\n${generated.text}`).toEqual({ actual: expected, request });
      }
      cases++;
    }
  }
  return cases;
}

const CASES = Number(process.env.ROUTELANG_DIFF_CASES ?? 100_000);
const PER_POLICY = 200;

describe('decision graph vs reference interpreter', () => {
  it(`agree on ${CASES.toLocaleString('en-US')} random decisions`, () => {
    const policies = Math.ceil(CASES / PER_POLICY);
    expect(differential(1, policies, PER_POLICY)).toBe(policies * PER_POLICY);
  });
});
