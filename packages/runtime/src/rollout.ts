// Rollouts: a candidate plan takes a growing share of a control plan's traffic, stage by
// stage, only while an anytime-valid test says it is not worse than the control by more
// than a margin; it is rolled back when the test says it is, or at once when a guardrail
// (error rate, p95 latency) is breached.
//
// The test: for each arm, a time-uniform confidence sequence for the mean of a metric in
// [0, 1] (bounded, hence 1/2-sub-Gaussian), from the normal-mixture boundary of Howard,
// Ramdas, McAuliffe and Sekhon, "Time-uniform, nonparametric, nonasymptotic confidence
// sequences", Annals of Statistics 49(2), 2021 (the mixture martingale of Robbins, 1970):
// with Sₙ the sum of n centred observations and V = n/4,
//     P(∃ n: |Sₙ| ≥ √(2 (V + ρ) ln(√((V + ρ)/ρ) / a))) ≤ a.
// Each arm's sequence is run at a = α/2, so both hold at every n at once with probability
// 1 − α, and the difference of the arms' means lies in [LCB_T − UCB_C, UCB_T − LCB_C] at
// every moment. The rollout advances only when that interval's lower end is above −margin,
// so checking after every request does not inflate the false-advance rate: if the candidate
// is worse by the margin or more, the chance it ever advances is at most α. It rolls back
// when the upper end is below −margin (worse by more than the margin, with confidence).
//
// Stage changes depend on counts only, never on clocks. The counters and the stage live in a
// StateStore, so every instance sharing one sees the same stage; a stage is advanced with a
// reservation (a compare-and-set: only one instance moves it).

import type { Value } from './ir.js';
import { fnv1a } from './split.js';
import { reserveIn, type StateStore } from './state.js';

/** A rollout's settings (the IR's `rollout` plan, less its plans). */
export interface RolloutSpec {
  /** Its identity in the state store and the decision log. */
  readonly name: string;
  /** The candidate's share of traffic at each stage, in percent, increasing, the last 100. */
  readonly stages: readonly number[];
  /** How much worse (on the metric's [0, 1] scale) the candidate may be and still advance. */
  readonly margin: number;
  /** The confidence of the test, e.g. 0.95 (α = 0.05). */
  readonly confidence: number;
  /** Candidate observations needed at a stage before it may advance (default 50). */
  readonly minSamples?: number;
  /** Guardrails on the candidate, checked over its last `guardWindow` calls: roll back at once past them. */
  readonly guards?: { readonly errorRate?: number; readonly latencyP95Ms?: number };
  /** Calls a guardrail looks at (default 50; it needs at least `minSamples` ÷ 2 of them). */
  readonly guardWindow?: number;
  /** The prior scale of the mixture (ρ), in observations: the sequence is tightest near this many (default 100). */
  readonly rho?: number;
}

/** Where a rollout stands. */
export interface RolloutStatus {
  readonly name: string;
  /** The stage index (0-based), or -1 once rolled back. */
  readonly stage: number;
  /** The candidate's share now, in percent (0 once rolled back). */
  readonly share: number;
  readonly state: 'running' | 'complete' | 'rolled_back';
  /** Metric values discarded (not a number in [0, 1]) by this instance. */
  readonly discarded: number;
  /** Observations and metric means per arm. */
  readonly control: { readonly n: number; readonly mean: number };
  readonly candidate: { readonly n: number; readonly mean: number };
  /** The estimate of candidate − control and its confidence interval (valid at every moment). */
  readonly difference: { readonly estimate: number; readonly low: number; readonly high: number };
}

/** A stage change, for the decision log and metrics. */
export interface RolloutEvent {
  readonly type: 'rollout';
  readonly rollout: string;
  readonly action: 'advance' | 'complete' | 'rollback';
  /** Why: the test's verdict, or the guardrail breached. */
  readonly reason: string;
  readonly fromShare: number;
  readonly toShare: number;
  readonly status: RolloutStatus;
}

/** One finished call of an arm. */
export interface RolloutObservation {
  readonly arm: 'control' | 'candidate';
  /** The metric in [0, 1], higher better (a validator's score, or 1 − error); undefined when not measured (a failed call scored by a validator). */
  readonly value: number | undefined;
  readonly error: boolean;
  readonly latencyMs: number;
}

/**
 * The radius of a time-uniform confidence sequence for the mean of n observations in [0, 1],
 * holding at every n at once with probability 1 − a (the normal mixture with prior scale ρ).
 */
export function csRadius(n: number, a: number, rho: number): number {
  if (n <= 0) return Number.POSITIVE_INFINITY;
  const v = n / 4 + rho / 4;
  const r = rho / 4;
  return Math.sqrt(2 * v * Math.log(Math.sqrt(v / r) / a)) / n;
}

/** The interval of candidate − control from the arms' counts and sums, at confidence 1 − α overall. */
export function differenceInterval(
  control: { n: number; sum: number },
  candidate: { n: number; sum: number },
  alpha: number,
  rho: number,
): { estimate: number; low: number; high: number } {
  const mc = control.n > 0 ? control.sum / control.n : 0;
  const mt = candidate.n > 0 ? candidate.sum / candidate.n : 0;
  const rc = csRadius(control.n, alpha / 2, rho);
  const rt = csRadius(candidate.n, alpha / 2, rho);
  // Means lie in [0, 1]: the interval is clipped to what is possible.
  return { estimate: mt - mc, low: Math.max(-1, mt - rt - (mc + rc)), high: Math.min(1, mt + rt - (mc - rc)) };
}

/**
 * What the evidence says now: `advance` when the candidate is shown not worse than the control
 * by more than the margin (and the stage has seen `minSamples` candidate calls), `rollback`
 * when it is shown worse by more, else `hold`. The one decision rule of every rollout (the
 * controller and the statistical tests use it).
 */
export function rolloutVerdict(
  control: { n: number; sum: number },
  candidate: { n: number; sum: number },
  stageSamples: number,
  spec: Pick<RolloutSpec, 'margin' | 'confidence' | 'minSamples' | 'rho'>,
): { verdict: 'advance' | 'rollback' | 'hold'; interval: { estimate: number; low: number; high: number } } {
  const interval = differenceInterval(control, candidate, 1 - spec.confidence, spec.rho ?? 100);
  if (interval.high < -spec.margin) return { verdict: 'rollback', interval };
  if (interval.low > -spec.margin && stageSamples >= (spec.minSamples ?? 50)) return { verdict: 'advance', interval };
  return { verdict: 'hold', interval };
}

/** The controller of one rollout: the share to serve, observations in, stage changes out. */
export class Rollout {
  private stage = 0;
  private rolledBack = false;
  private readonly arms = { control: { n: 0, sum: 0 }, candidate: { n: 0, sum: 0 } };
  private stageSamples = 0;
  private discardedValues = 0;
  private readonly recent: { error: boolean; latencyMs: number }[] = [];
  private readonly minSamples: number;
  private readonly guardWindow: number;
  private readonly rho: number;
  private readonly alpha: number;
  private readonly prefix: string;
  /** A long life for the counters: a rollout lasts until its policy changes. */
  private static readonly TTL_MS = 90 * 86_400_000;

  constructor(
    readonly spec: RolloutSpec,
    private readonly store: StateStore,
    private readonly onEvent: (event: RolloutEvent) => void = () => {},
    policy = '',
    /** The settings as the policy wrote them (a reload keeps this controller only if they are unchanged). */
    readonly settings: unknown = spec,
  ) {
    this.minSamples = spec.minSamples ?? 50;
    this.guardWindow = spec.guardWindow ?? 50;
    this.rho = spec.rho ?? 100;
    this.alpha = 1 - spec.confidence;
    this.prefix = `routelang:rollout:${policy}:${spec.name}`;
  }

  /** The candidate's share now, in percent. */
  share(): number {
    return this.rolledBack ? 0 : (this.spec.stages[this.stage] ?? 100);
  }

  status(): RolloutStatus {
    const { control, candidate } = this.arms;
    return {
      name: this.spec.name,
      stage: this.rolledBack ? -1 : this.stage,
      share: this.share(),
      state: this.rolledBack ? 'rolled_back' : this.stage >= this.spec.stages.length - 1 ? 'complete' : 'running',
      discarded: this.discardedValues,
      control: { n: control.n, mean: control.n > 0 ? control.sum / control.n : 0 },
      candidate: { n: candidate.n, mean: candidate.n > 0 ? candidate.sum / candidate.n : 0 },
      difference: differenceInterval(control, candidate, this.alpha, this.rho),
    };
  }

  /** Reads the shared stage (another instance may have moved it). */
  async refresh(): Promise<void> {
    const [stage, back] = await Promise.all([this.store.get(`${this.prefix}:stage`), this.store.get(`${this.prefix}:rolled_back`)]);
    this.adopt(stage, back);
  }

  private adopt(stage: number, back: number): void {
    if (back > 0) this.rolledBack = true;
    const s = Math.max(0, Math.min(this.spec.stages.length - 1, Math.round(stage)));
    if (s > this.stage) {
      this.stage = s;
      this.stageSamples = 0;
    }
  }

  /**
   * Records a finished call and moves the rollout when the evidence says so. Values outside
   * [0, 1] or not numbers are discarded (and counted by the caller). Never throws.
   */
  async observe(observation: RolloutObservation): Promise<void> {
    if (this.rolledBack || this.done()) return;
    try {
      const arm = this.arms[observation.arm];
      const value = observation.value;
      if (value !== undefined && Number.isFinite(value) && value >= 0 && value <= 1) {
        const [n, sum] = await Promise.all([
          this.store.add(`${this.prefix}:${observation.arm}:n`, 1, Rollout.TTL_MS),
          this.store.add(`${this.prefix}:${observation.arm}:sum`, value, Rollout.TTL_MS),
        ]);
        arm.n = Math.max(arm.n, n);
        arm.sum = sum;
      } else if (value !== undefined) this.discardedValues++;
      if (observation.arm === 'candidate') {
        this.stageSamples++;
        this.recent.push({ error: observation.error, latencyMs: observation.latencyMs });
        if (this.recent.length > this.guardWindow) this.recent.shift();
        const breach = this.guardBreach();
        if (breach) return await this.rollBack(breach);
      }
      await this.refresh();
      if (this.rolledBack || this.done()) return;
      const { verdict, interval: d } = rolloutVerdict(this.arms.control, this.arms.candidate, this.stageSamples, this.spec);
      if (verdict === 'rollback') {
        return await this.rollBack(
          `the candidate is worse than the control by more than ${this.spec.margin}: candidate − control ${d.estimate.toFixed(4)}, ${pct(this.spec.confidence)} interval [${d.low.toFixed(4)}, ${d.high.toFixed(4)}]`,
        );
      }
      if (verdict === 'advance') await this.advance(d);
    } catch {
      // The store failed: the rollout stays where it is (a later observation retries).
    }
  }

  private done(): boolean {
    return this.stage >= this.spec.stages.length - 1;
  }

  private guardBreach(): string | undefined {
    const guards = this.spec.guards;
    if (!guards || this.recent.length < Math.max(1, Math.ceil(this.minSamples / 2))) return undefined;
    if (guards.errorRate !== undefined) {
      const rate = this.recent.filter((r) => r.error).length / this.recent.length;
      if (rate > guards.errorRate)
        return `guardrail: the candidate's error rate ${pct(rate)} over its last ${this.recent.length} calls is above ${pct(guards.errorRate)}`;
    }
    if (guards.latencyP95Ms !== undefined) {
      const sorted = this.recent.map((r) => r.latencyMs).sort((a, b) => a - b);
      const p95 = sorted[Math.min(sorted.length - 1, Math.ceil(0.95 * sorted.length) - 1)] as number;
      if (p95 > guards.latencyP95Ms)
        return `guardrail: the candidate's p95 latency ${Math.round(p95)} ms over its last ${sorted.length} calls is above ${guards.latencyP95Ms} ms`;
    }
    return undefined;
  }

  private async advance(d: { estimate: number; low: number; high: number }): Promise<void> {
    const from = this.share();
    const next = this.stage + 1;
    // Compare-and-set: only the instance that moves the stage from `stage` to `next` reports it.
    const moved = await reserveIn(this.store, `${this.prefix}:stage`, 1, next, Rollout.TTL_MS);
    if (!moved) return this.refresh();
    this.stage = next;
    this.stageSamples = 0;
    this.onEvent({
      type: 'rollout',
      rollout: this.spec.name,
      action: this.done() ? 'complete' : 'advance',
      reason: `the candidate is not worse than the control by more than ${this.spec.margin}: candidate − control ${d.estimate.toFixed(4)}, ${pct(this.spec.confidence)} interval [${d.low.toFixed(4)}, ${d.high.toFixed(4)}]`,
      fromShare: from,
      toShare: this.share(),
      status: this.status(),
    });
  }

  private async rollBack(reason: string): Promise<void> {
    const from = this.share();
    const after = await this.store.add(`${this.prefix}:rolled_back`, 1, Rollout.TTL_MS);
    this.rolledBack = true;
    // The first instance to roll back reports it.
    if (after === 1) this.onEvent({ type: 'rollout', rollout: this.spec.name, action: 'rollback', reason, fromShare: from, toShare: 0, status: this.status() });
  }
}

/** The sticky bucket (of 10,000) of a request's key in a rollout: FNV-1a of the rollout's name and the key. */
export function rolloutBucket(name: string, value: Value | undefined): number {
  const key = Array.isArray(value) ? value.join('\u0001') : String(value);
  return fnv1a(`${name}\u0000${key}`) % 10_000;
}

/** Whether a sticky key's bucket falls in the candidate's share (FNV-1a, 10,000 buckets: monotone in the share). */
export function inCandidate(bucket: number, share: number): boolean {
  return bucket < Math.round(share * 100);
}

const pct = (x: number): string => `${Math.round(x * 1000) / 10}%`;
