// Telemetry: the decision log (one structured event per request, handed to the host's
// `onEvent`) and `router.metrics()` (per model and per rule: counts, tokens, cost,
// latency percentiles, error, fallback and escalation rates). Prompt text never enters
// an event: text fields are reported by size only.

import type { Attempt, RolloutArmTaken } from './execute.js';
import type { RequestError } from './request.js';

/** The decision-log event of one `run()`. */
export interface RunEvent {
  readonly type: 'routelang.run';
  readonly time: string;
  /** The policy that decided: its name and `version` (null when the policy has none). */
  readonly policy: { readonly name: string | null; readonly version: string | null };
  /** The host's request id (`run(…, { requestId })`), else one generated per run. */
  readonly requestId: string;
  /** The request's `tenant` field, when it has one. */
  readonly tenant: string | undefined;
  /** For an invalid request, what was wrong with it, field by field. */
  readonly errors: readonly RequestError[] | undefined;
  readonly rule: { readonly route: string | null; readonly index: number; readonly line: number; readonly label: string | undefined } | undefined;
  readonly outcome: 'ok' | 'denied' | 'failed' | 'invalid';
  readonly model: string | undefined;
  readonly errorClass: string | undefined;
  readonly attempts: readonly Attempt[];
  readonly fallbacks: number;
  readonly escalations: number;
  readonly inputTokens: number;
  readonly outputTokens: number;
  /** Dollars. */
  readonly cost: number;
  readonly latencyMs: number;
  /** The rollout arms the run took, with the metric recorded for each (what `routelang evaluate` compares). */
  readonly arms?: readonly RolloutArmTaken[];
}

interface Series {
  count: number;
  errors: number;
  fallbacks: number;
  escalations: number;
  inputTokens: number;
  outputTokens: number;
  cost: number;
  latencies: number[];
}

/**
 * A snapshot of one model's or one rule's figures. For a rule the rates are shares of its
 * requests that fell back or escalated; for a model, shares of its calls after which the
 * request fell back to the next plan or escalated to the next cascade step (`Attempt.then`).
 */
export interface SeriesSnapshot {
  readonly count: number;
  readonly errorRate: number;
  readonly fallbackRate: number;
  readonly escalationRate: number;
  readonly inputTokens: number;
  readonly outputTokens: number;
  readonly cost: number;
  readonly latencyMs: { readonly p50: number; readonly p95: number; readonly p99: number };
}

export interface MetricsSnapshot {
  readonly models: Readonly<Record<string, SeriesSnapshot>>;
  /** Keyed `line N` (entry route) or `route NAME, line N`. */
  readonly rules: Readonly<Record<string, SeriesSnapshot>>;
}

/** Latencies kept per series (a sliding sample: percentiles cover the recent traffic). */
const SAMPLE = 2_048;

const empty = (): Series => ({ count: 0, errors: 0, fallbacks: 0, escalations: 0, inputTokens: 0, outputTokens: 0, cost: 0, latencies: [] });

export class Metrics {
  private readonly models = new Map<string, Series>();
  private readonly rules = new Map<string, Series>();

  record(event: RunEvent): void {
    if (event.rule) {
      const key = event.rule.route === null ? `line ${event.rule.line}` : `route ${event.rule.route}, line ${event.rule.line}`;
      const s = this.series(this.rules, key);
      s.count++;
      if (event.outcome === 'failed') s.errors++;
      s.fallbacks += event.fallbacks > 0 ? 1 : 0;
      s.escalations += event.escalations > 0 ? 1 : 0;
      s.inputTokens += event.inputTokens;
      s.outputTokens += event.outputTokens;
      s.cost += event.cost;
      push(s.latencies, event.latencyMs);
    }
    for (const a of event.attempts) {
      if (a.kind !== 'model' || a.outcome === 'skipped') continue;
      const s = this.series(this.models, a.target);
      s.count++;
      if (a.outcome === 'error') s.errors++;
      if (a.then === 'fallback') s.fallbacks++;
      if (a.then === 'escalation') s.escalations++;
      s.inputTokens += a.inputTokens;
      s.outputTokens += a.outputTokens;
      s.cost += a.cost;
      push(s.latencies, a.latencyMs);
    }
  }

  snapshot(): MetricsSnapshot {
    return { models: snapshotAll(this.models), rules: snapshotAll(this.rules) };
  }

  private series(map: Map<string, Series>, key: string): Series {
    let s = map.get(key);
    if (!s) {
      s = empty();
      map.set(key, s);
    }
    return s;
  }
}

/** Keeps the last SAMPLE values in a ring (no O(n) shift per value). */
function push(sample: number[] & { next?: number }, value: number): void {
  if (sample.length < SAMPLE) {
    sample.push(value);
    return;
  }
  const at = sample.next ?? 0;
  sample[at] = value;
  sample.next = (at + 1) % SAMPLE;
}

function snapshotAll(map: Map<string, Series>): Record<string, SeriesSnapshot> {
  return Object.fromEntries([...map].map(([k, s]) => [k, snapshotOf(s)]));
}

/**
 * The q-quantile (0 < q ≤ 1) of sorted values by nearest rank: the smallest value with at
 * least a share q of the values at or below it; undefined for no values. The runtime's
 * metrics, `routelang simulate` and the gateway's dashboard all read percentiles this way.
 */
export function nearestRank(sorted: ArrayLike<number>, q: number): number | undefined {
  if (sorted.length === 0) return undefined;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))] as number;
}

function snapshotOf(s: Series): SeriesSnapshot {
  const sorted = [...s.latencies].sort((a, b) => a - b);
  const pct = (p: number): number => nearestRank(sorted, p / 100) ?? 0;
  const rate = (n: number): number => (s.count === 0 ? 0 : n / s.count);
  return {
    count: s.count,
    errorRate: rate(s.errors),
    fallbackRate: rate(s.fallbacks),
    escalationRate: rate(s.escalations),
    inputTokens: s.inputTokens,
    outputTokens: s.outputTokens,
    cost: s.cost,
    latencyMs: { p50: pct(50), p95: pct(95), p99: pct(99) },
  };
}
