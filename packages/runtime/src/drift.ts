// Drift monitoring per model: validator score, error rate, latency, output length and cost,
// each in tumbling windows of `window` calls, each window compared with a reference window
// (the first full one, and after a drift the window that showed it: the new normal).
//
// The test, per window and series, at level α (default 0.001):
//   - score and error rate lie in [0, 1]: the difference of the windows' means, each window's
//     mean bounded by the empirical Bernstein inequality (Maurer and Pontil, "Empirical
//     Bernstein bounds and sample variance penalization", COLT 2009), two-sided at α/2 per
//     window: a window has a fixed size, so a fixed-sample bound that uses the observed
//     variance is valid, and far tighter than a variance-free one for scores that vary little;
//   - latency, output tokens and cost are unbounded, so they are reduced to a bounded
//     question, a sign test: the share of the window's calls above the reference window's
//     median, which is 1/2 when nothing moved; the same sequence tells when it is not.
// So a window that drifted is reported with the estimate and its interval; one that did not
// is a false alarm with probability at most α (per window and series; over many windows the
// alarms add up, which is why α is small).

import { csRadius } from './rollout.js';

/**
 * The two-sided empirical Bernstein radius of the mean of `xs` (values in [0, 1]) at
 * confidence 1 − δ: √(2 V ln(4/δ) / n) + 7 ln(4/δ) / (3 (n − 1)), V the sample variance.
 */
export function empiricalBernstein(xs: readonly number[], delta: number): number {
  const n = xs.length;
  if (n < 2) return Number.POSITIVE_INFINITY;
  const mean = xs.reduce((a, b) => a + b, 0) / n;
  const v = xs.reduce((a, x) => a + (x - mean) ** 2, 0) / (n - 1);
  const l = Math.log(4 / delta);
  return Math.sqrt((2 * v * l) / n) + (7 * l) / (3 * (n - 1));
}

/** What is watched. */
export type DriftMetric = 'score' | 'error_rate' | 'latency_ms' | 'output_tokens' | 'cost';

/** A drift: a window of a model's calls that differs from its reference. */
export interface DriftEvent {
  readonly type: 'drift';
  readonly model: string;
  readonly metric: DriftMetric;
  /** How it was tested: the difference of means, or the share above the reference median. */
  readonly test: 'mean_difference' | 'share_above_reference_median';
  /** Score and error rate: the two windows' means. Others: the reference median and the window's. */
  readonly reference: number;
  readonly current: number;
  /** Mean difference (current − reference), or the share above the reference median (1/2 when unchanged). */
  readonly estimate: number;
  readonly low: number;
  readonly high: number;
  readonly window: number;
}

/** The latest comparison of one series (for gauges). */
export interface DriftStatus {
  readonly model: string;
  readonly metric: DriftMetric;
  readonly windows: number;
  readonly estimate: number | undefined;
  readonly drifted: boolean;
}

const BOUNDED: ReadonlySet<DriftMetric> = new Set(['score', 'error_rate']);
const median = (xs: readonly number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 === 1 ? (s[m] as number) : ((s[m - 1] as number) + (s[m] as number)) / 2;
};

interface Series {
  reference: number[] | undefined;
  current: number[];
  windows: number;
  last: DriftStatus | undefined;
}

/** Watches each model's calls and reports windows that drifted. */
export class DriftMonitor {
  private readonly series = new Map<string, Series>();

  constructor(
    private readonly onDrift: (event: DriftEvent) => void,
    private readonly window = 500,
    private readonly alpha = 0.001,
    private readonly rho = 100,
  ) {}

  /** One call's observations (an undefined value is not observed, e.g. a score where nothing scored). */
  observe(model: string, values: Partial<Record<DriftMetric, number>>): void {
    for (const [metric, value] of Object.entries(values) as [DriftMetric, number | undefined][]) {
      if (value === undefined || !Number.isFinite(value)) continue;
      if (BOUNDED.has(metric) && (value < 0 || value > 1)) continue;
      const key = `${model}\u0000${metric}`;
      let s = this.series.get(key);
      if (!s) {
        s = { reference: undefined, current: [], windows: 0, last: undefined };
        this.series.set(key, s);
      }
      s.current.push(value);
      if (s.current.length >= this.window) this.close(model, metric, s);
    }
  }

  /** The latest comparison of every series. */
  status(): DriftStatus[] {
    return [...this.series.entries()].map(([key, s]) => {
      const [model, metric] = key.split('\u0000') as [string, DriftMetric];
      return s.last ?? { model, metric, windows: s.windows, estimate: undefined, drifted: false };
    });
  }

  private close(model: string, metric: DriftMetric, s: Series): void {
    const current = s.current;
    s.current = [];
    s.windows++;
    const reference = s.reference;
    if (!reference) {
      s.reference = current;
      s.last = { model, metric, windows: s.windows, estimate: undefined, drifted: false };
      return;
    }
    let event: DriftEvent | undefined;
    let estimate: number;
    if (BOUNDED.has(metric)) {
      const mean = (xs: readonly number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
      const [mr, mc] = [mean(reference), mean(current)];
      const r = empiricalBernstein(reference, this.alpha / 2) + empiricalBernstein(current, this.alpha / 2);
      const d = { estimate: mc - mr, low: Math.max(-1, mc - mr - r), high: Math.min(1, mc - mr + r) };
      estimate = d.estimate;
      if (d.low > 0 || d.high < 0)
        event = {
          type: 'drift',
          model,
          metric,
          test: 'mean_difference',
          reference: mr,
          current: mc,
          estimate: d.estimate,
          low: d.low,
          high: d.high,
          window: s.windows,
        };
    } else {
      const m = median(reference);
      // Ties at the median count half, so a constant series stays at 1/2.
      const above = current.reduce((n, x) => n + (x > m ? 1 : x === m ? 0.5 : 0), 0) / current.length;
      const r = csRadius(current.length, this.alpha, this.rho);
      estimate = above;
      if (above - r > 0.5 || above + r < 0.5)
        event = {
          type: 'drift',
          model,
          metric,
          test: 'share_above_reference_median',
          reference: m,
          current: median(current),
          estimate: above,
          low: Math.max(0, above - r),
          high: Math.min(1, above + r),
          window: s.windows,
        };
    }
    s.last = { model, metric, windows: s.windows, estimate, drifted: event !== undefined };
    if (event) {
      // The drifted window is the new normal: a change is reported once, not every window after it.
      s.reference = current;
      try {
        this.onDrift(event);
      } catch {
        // The host's listener failing is the host's.
      }
    }
  }
}
