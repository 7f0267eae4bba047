// A seeded simulation of a rollout's decisions, request by request, with the runtime's own
// decision rule (rolloutVerdict): the arms' metric is Bernoulli (a pass/fail score), each
// request lands in the candidate with the stage's share, and the rule is checked after every
// request. Shared by the statistical tests and `routelang simulate`'s rollout figures.

import { seededRandom } from '../../packages/dsl/src/simulate/simulate.js';
import { type RolloutSpec, rolloutVerdict } from '../../packages/runtime/src/rollout.js';

/** The simulator's seeded generator (mulberry32), so these runs replay exactly. */
export const seeded = seededRandom;

export interface SimOutcome {
  readonly outcome: 'complete' | 'rollback' | 'hold';
  /** Requests until the outcome (the horizon for `hold`). */
  readonly requests: number;
  /** The request at which the first stage was left (advanced), if it was. */
  readonly firstAdvance: number | undefined;
}

/** One rollout: control passes with `pControl`, the candidate with `pCandidate`, for at most `horizon` requests. */
export function simulateRollout(
  spec: Pick<RolloutSpec, 'stages' | 'margin' | 'confidence' | 'minSamples' | 'rho'>,
  pControl: number,
  pCandidate: number,
  horizon: number,
  random: () => number,
): SimOutcome {
  const control = { n: 0, sum: 0 };
  const candidate = { n: 0, sum: 0 };
  let stage = 0;
  let stageSamples = 0;
  let firstAdvance: number | undefined;
  for (let i = 1; i <= horizon; i++) {
    const toCandidate = random() * 100 < (spec.stages[stage] as number);
    const arm = toCandidate ? candidate : control;
    arm.n++;
    if (random() < (toCandidate ? pCandidate : pControl)) arm.sum++;
    if (toCandidate) stageSamples++;
    const { verdict } = rolloutVerdict(control, candidate, stageSamples, spec);
    if (verdict === 'rollback') return { outcome: 'rollback', requests: i, firstAdvance };
    if (verdict === 'advance') {
      stage++;
      stageSamples = 0;
      firstAdvance ??= i;
      if (stage >= spec.stages.length - 1) return { outcome: 'complete', requests: i, firstAdvance };
    }
  }
  return { outcome: 'hold', requests: horizon, firstAdvance };
}
