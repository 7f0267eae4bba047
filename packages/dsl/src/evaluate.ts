// `routelang evaluate LOG.jsonl`: what a decision log says about the models and the
// experiments in it. Per model: calls, error rate, mean validator score, cost and latency,
// with 95% intervals; per rollout: each arm's metric and the candidate − control verdict;
// each rollout's stage changes; per shadow: both sides' scores; and drift over time.
//
// Intervals. Rates and scores lie in [0, 1], so the same time-uniform confidence sequence as
// the runtime's rollouts is used (Howard, Ramdas, McAuliffe and Sekhon, Annals of Statistics
// 2021, normal mixture, bounded observations): valid however often the log was looked at
// while it grew, conservative for any single look. Drift: each model's log is cut into
// windows of equal size; a window whose mean score or error rate differs from the first
// window's beyond the two sequences' radii (each at α / (2 × windows), a Bonferroni split over
// the comparisons) is a drift, reported with its interval.
//
// Bad input: lines that are not JSON or not events are counted and listed (the first 20)
// with their line numbers; nothing stops the report.

import { csRadius, differenceInterval } from '@routelang/runtime';
import { barChart, dollars, escapeHtml, int, ms, pct, table } from './simulate/report.js';

const RHO = 100;

/** A mean with its interval. */
export interface Estimate {
  readonly n: number;
  readonly mean: number;
  readonly low: number;
  readonly high: number;
}

export interface EvaluationReport {
  readonly lines: number;
  readonly runs: number;
  readonly confidence: number;
  readonly broken: { readonly count: number; readonly first: readonly { readonly line: number; readonly problem: string }[] };
  readonly models: readonly {
    readonly model: string;
    readonly calls: number;
    readonly errorRate: Estimate;
    readonly score: Estimate | undefined;
    readonly cost: number;
    readonly costPerCall: number;
    readonly latencyP50Ms: number;
    readonly latencyP95Ms: number;
  }[];
  readonly rollouts: readonly {
    readonly rollout: string;
    readonly control: Estimate;
    readonly candidate: Estimate;
    /** candidate − control, with the interval and what it shows. */
    readonly difference: { readonly estimate: number; readonly low: number; readonly high: number };
    readonly verdict: string;
    readonly changes: readonly {
      readonly time: string;
      readonly action: string;
      readonly fromShare: number;
      readonly toShare: number;
      readonly reason: string;
    }[];
  }[];
  readonly shadows: readonly {
    readonly model: string;
    readonly calls: number;
    readonly ok: number;
    readonly cost: number;
    readonly primary: Estimate | undefined;
    readonly shadow: Estimate | undefined;
  }[];
  readonly drift: readonly {
    readonly model: string;
    readonly metric: 'score' | 'error rate';
    readonly windows: readonly Estimate[];
    /** Windows (1-based) whose mean differs from the first window's, with the difference's interval. */
    readonly shifts: readonly { readonly window: number; readonly difference: number; readonly low: number; readonly high: number }[];
  }[];
  readonly method: string;
}

export interface EvaluateOptions {
  /** Confidence of every interval (default 0.95). */
  readonly confidence?: number;
  /** Windows for drift (default 10). */
  readonly windows?: number;
}

function estimate(values: readonly number[], alpha: number): Estimate {
  const n = values.length;
  const mean = n > 0 ? values.reduce((a, b) => a + b, 0) / n : 0;
  const r = csRadius(n, alpha, RHO);
  return { n, mean, low: Math.max(0, mean - r), high: Math.min(1, mean + r) };
}

const percentile = (sorted: readonly number[], p: number): number => sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(p * sorted.length) - 1))] ?? 0;

interface Attempt {
  target?: unknown;
  kind?: unknown;
  outcome?: unknown;
  cost?: unknown;
  latencyMs?: unknown;
  score?: unknown;
}

/** Reads a decision log (JSON lines) and evaluates it. Never throws on bad lines. */
export function evaluateLog(lines: readonly string[], options: EvaluateOptions = {}): EvaluationReport {
  const confidence = options.confidence ?? 0.95;
  const alpha = 1 - confidence;
  const windows = Math.max(2, options.windows ?? 10);
  const broken: { line: number; problem: string }[] = [];
  let brokenCount = 0;
  const bad = (line: number, problem: string): void => {
    brokenCount++;
    if (broken.length < 20) broken.push({ line, problem });
  };
  const perModel = new Map<string, { errors: number[]; scores: number[]; cost: number; latency: number[] }>();
  const arms = new Map<string, { control: number[]; candidate: number[] }>();
  const changes = new Map<string, EvaluationReport['rollouts'][number]['changes'][number][]>();
  const shadows = new Map<string, { calls: number; ok: number; cost: number; primary: number[]; shadow: number[] }>();
  let runs = 0;
  let count = 0;
  for (let i = 0; i < lines.length; i++) {
    const text = (lines[i] as string).trim();
    if (text === '') continue;
    count++;
    let event: Record<string, unknown>;
    try {
      const parsed: unknown = JSON.parse(text);
      if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
        bad(i + 1, 'not an event object');
        continue;
      }
      event = parsed as Record<string, unknown>;
    } catch (error) {
      bad(i + 1, `not JSON: ${(error as Error).message}`);
      continue;
    }
    if (event.type === 'routelang.run') {
      if (!Array.isArray(event.attempts)) {
        bad(i + 1, 'a run event without `attempts`');
        continue;
      }
      runs++;
      for (const a of event.attempts as Attempt[]) {
        if (a.kind !== 'model' || typeof a.target !== 'string' || a.outcome === 'skipped') continue;
        const m = perModel.get(a.target) ?? { errors: [], scores: [], cost: 0, latency: [] };
        m.errors.push(a.outcome === 'error' ? 1 : 0);
        if (typeof a.score === 'number' && a.score >= 0 && a.score <= 1) m.scores.push(a.score);
        if (typeof a.cost === 'number' && Number.isFinite(a.cost)) m.cost += a.cost;
        if (typeof a.latencyMs === 'number' && Number.isFinite(a.latencyMs)) m.latency.push(a.latencyMs);
        perModel.set(a.target, m);
      }
      for (const arm of Array.isArray(event.arms) ? (event.arms as { rollout?: unknown; arm?: unknown; value?: unknown }[]) : []) {
        if (typeof arm.rollout !== 'string' || (arm.arm !== 'control' && arm.arm !== 'candidate')) continue;
        if (typeof arm.value !== 'number' || !(arm.value >= 0 && arm.value <= 1)) continue;
        const entry = arms.get(arm.rollout) ?? { control: [], candidate: [] };
        entry[arm.arm].push(arm.value);
        arms.set(arm.rollout, entry);
      }
    } else if (event.type === 'rollout') {
      if (typeof event.rollout !== 'string' || typeof event.action !== 'string') {
        bad(i + 1, 'a rollout event without `rollout` or `action`');
        continue;
      }
      const list = changes.get(event.rollout) ?? [];
      list.push({
        time: typeof event.time === 'string' ? event.time : '',
        action: event.action,
        fromShare: Number(event.fromShare),
        toShare: Number(event.toShare),
        reason: typeof event.reason === 'string' ? event.reason : '',
      });
      changes.set(event.rollout, list);
      if (!arms.has(event.rollout)) arms.set(event.rollout, { control: [], candidate: [] });
    } else if (event.type === 'shadow') {
      if (typeof event.shadow !== 'string') {
        bad(i + 1, 'a shadow event without `shadow`');
        continue;
      }
      const s = shadows.get(event.shadow) ?? { calls: 0, ok: 0, cost: 0, primary: [], shadow: [] };
      s.calls++;
      if (event.outcome === 'ok') s.ok++;
      if (typeof event.cost === 'number' && Number.isFinite(event.cost)) s.cost += event.cost;
      if (typeof event.primaryScore === 'number' && event.primaryScore >= 0 && event.primaryScore <= 1) s.primary.push(event.primaryScore);
      if (typeof event.shadowScore === 'number' && event.shadowScore >= 0 && event.shadowScore <= 1) s.shadow.push(event.shadowScore);
      shadows.set(event.shadow, s);
    } else {
      bad(i + 1, `unknown event type ${JSON.stringify(event.type ?? null)}`);
    }
  }

  const models = [...perModel.entries()]
    .map(([model, m]) => {
      const sorted = [...m.latency].sort((a, b) => a - b);
      return {
        model,
        calls: m.errors.length,
        errorRate: estimate(m.errors, alpha),
        score: m.scores.length > 0 ? estimate(m.scores, alpha) : undefined,
        cost: m.cost,
        costPerCall: m.errors.length > 0 ? m.cost / m.errors.length : 0,
        latencyP50Ms: percentile(sorted, 0.5),
        latencyP95Ms: percentile(sorted, 0.95),
      };
    })
    .sort((a, b) => b.calls - a.calls || a.model.localeCompare(b.model));

  const rollouts = [...arms.entries()].map(([rollout, a]) => {
    const sum = (xs: number[]) => xs.reduce((x, y) => x + y, 0);
    const difference = differenceInterval({ n: a.control.length, sum: sum(a.control) }, { n: a.candidate.length, sum: sum(a.candidate) }, alpha, RHO);
    const verdict =
      a.control.length === 0 || a.candidate.length === 0
        ? 'no verdict: an arm has no measured calls in this log'
        : difference.low > 0
          ? 'the candidate is better'
          : difference.high < 0
            ? 'the candidate is worse'
            : `no difference shown: the candidate is within [${difference.low.toFixed(3)}, ${difference.high.toFixed(3)}] of the control`;
    return {
      rollout,
      control: estimate(a.control, alpha / 2),
      candidate: estimate(a.candidate, alpha / 2),
      difference,
      verdict,
      changes: changes.get(rollout) ?? [],
    };
  });

  const drift: EvaluationReport['drift'][number][] = [];
  for (const [model, m] of perModel) {
    for (const [metric, values] of [
      ['score', m.scores],
      ['error rate', m.errors],
    ] as const) {
      if (values.length < windows * 10) continue;
      const size = Math.floor(values.length / windows);
      const cut = Array.from({ length: windows }, (_, w) => values.slice(w * size, w === windows - 1 ? values.length : (w + 1) * size));
      const a = alpha / (2 * windows);
      const ests = cut.map((w) => estimate(w, a));
      const first = ests[0] as Estimate;
      const shifts = ests.slice(1).flatMap((e, k) => {
        const d = differenceInterval({ n: first.n, sum: first.mean * first.n }, { n: e.n, sum: e.mean * e.n }, 2 * a, RHO);
        return d.low > 0 || d.high < 0 ? [{ window: k + 2, difference: d.estimate, low: d.low, high: d.high }] : [];
      });
      drift.push({ model, metric, windows: ests, shifts });
    }
  }

  return {
    lines: count,
    runs,
    confidence,
    broken: { count: brokenCount, first: broken },
    models,
    rollouts,
    shadows: [...shadows.entries()].map(([model, s]) => ({
      model,
      calls: s.calls,
      ok: s.ok,
      cost: s.cost,
      primary: s.primary.length > 0 ? estimate(s.primary, alpha) : undefined,
      shadow: s.shadow.length > 0 ? estimate(s.shadow, alpha) : undefined,
    })),
    drift,
    method: `${pct(confidence)} time-uniform confidence sequences for means in [0, 1] (Howard et al., Annals of Statistics 2021, normal mixture, ρ = ${RHO}); drift: each window against the first, Bonferroni over the windows`,
  };
}

const interval = (e: Estimate): string => `${e.mean.toFixed(3)} [${e.low.toFixed(3)}, ${e.high.toFixed(3)}]`;

/** The report as text. */
export function renderEvaluationText(r: EvaluationReport, file: string): string {
  const out: string[] = [];
  out.push(`evaluated ${int(r.runs)} runs from ${file} (${int(r.lines)} lines${r.broken.count > 0 ? `, ${int(r.broken.count)} unreadable` : ''})`);
  out.push('');
  out.push(
    table(
      ['model', 'calls', 'error rate', 'score', 'cost', 'per call', 'p50', 'p95'],
      r.models.map((m) => [
        m.model,
        int(m.calls),
        interval(m.errorRate),
        m.score ? `${interval(m.score)} (${int(m.score.n)})` : '',
        dollars(m.cost),
        dollars(m.costPerCall),
        ms(m.latencyP50Ms),
        ms(m.latencyP95Ms),
      ]),
    ),
  );
  for (const ro of r.rollouts) {
    out.push('');
    out.push(
      `rollout "${ro.rollout}": control ${interval(ro.control)} over ${int(ro.control.n)} calls; candidate ${interval(ro.candidate)} over ${int(ro.candidate.n)}`,
    );
    out.push(`  candidate − control ${ro.difference.estimate.toFixed(3)} [${ro.difference.low.toFixed(3)}, ${ro.difference.high.toFixed(3)}]: ${ro.verdict}`);
    for (const c of ro.changes) out.push(`  ${c.time ? `${c.time} ` : ''}${c.action} ${c.fromShare}% → ${c.toShare}%: ${c.reason}`);
  }
  for (const s of r.shadows) {
    out.push('');
    out.push(
      `shadow \`${s.model}\`: ${int(s.calls)} calls, ${int(s.ok)} answered, ${dollars(s.cost)}${s.primary && s.shadow ? `; score ${interval(s.shadow)} against the plan's ${interval(s.primary)}` : ''}`,
    );
  }
  const shifted = r.drift.filter((d) => d.shifts.length > 0);
  out.push('');
  if (shifted.length === 0) out.push(`drift: none shown (${r.drift.length} series of ${r.drift[0]?.windows.length ?? 0} windows)`);
  for (const d of shifted) {
    for (const s of d.shifts) {
      out.push(
        `drift: \`${d.model}\` ${d.metric} in window ${s.window} of ${d.windows.length}: ${s.difference >= 0 ? '+' : ''}${s.difference.toFixed(3)} against the first window [${s.low.toFixed(3)}, ${s.high.toFixed(3)}]`,
      );
    }
  }
  if (r.broken.count > 0) {
    out.push(`unreadable: ${int(r.broken.count)} lines${r.broken.first.length < r.broken.count ? ` (the first ${r.broken.first.length} shown)` : ''}`);
    for (const b of r.broken.first) out.push(`  line ${b.line}: ${b.problem}`);
  }
  out.push(`method: ${r.method}`);
  return out.join('\n');
}

/** The report as a self-contained HTML page (inline SVG, no script, no network). */
export function renderEvaluationHtml(r: EvaluationReport, file: string): string {
  const charts: string[] = [];
  charts.push(
    barChart(
      'Error rate by model',
      r.models.map((m) => ({ label: m.model, value: m.errorRate.mean, text: `${pct(m.errorRate.mean)} [${pct(m.errorRate.low)}, ${pct(m.errorRate.high)}]` })),
    ),
  );
  const scored = r.models.filter((m) => m.score);
  if (scored.length > 0)
    charts.push(
      barChart(
        'Mean score by model',
        scored.map((m) => ({ label: m.model, value: m.score?.mean ?? 0, text: interval(m.score as Estimate) })),
      ),
    );
  for (const ro of r.rollouts) {
    charts.push(
      barChart(`Rollout "${ro.rollout}": ${ro.verdict}`, [
        { label: 'control', value: ro.control.mean, text: `${interval(ro.control)} (${int(ro.control.n)})` },
        { label: 'candidate', value: ro.candidate.mean, text: `${interval(ro.candidate)} (${int(ro.candidate.n)})` },
      ]),
    );
  }
  for (const d of r.drift) {
    charts.push(
      barChart(
        `${d.model}: ${d.metric} by window${d.shifts.length > 0 ? ` (drift in window ${d.shifts.map((s) => s.window).join(', ')})` : ''}`,
        d.windows.map((w, i) => ({
          label: `window ${i + 1}`,
          value: w.mean,
          text: interval(w),
          ...(d.shifts.some((s) => s.window === i + 1) ? { color: '#e15759' } : {}),
        })),
      ),
    );
  }
  const text = renderEvaluationText(r, file);
  return `<!doctype html><html><head><meta charset="utf-8"><title>routelang evaluate: ${escapeHtml(file)}</title><style>body{font:14px system-ui,sans-serif;margin:24px;max-width:900px}svg text{font:12px system-ui,sans-serif}svg .t{font-weight:600}pre{background:#f6f6f6;padding:12px;overflow:auto}</style></head><body><h1>Evaluation of ${escapeHtml(file)}</h1>${charts.join('')}<pre>${escapeHtml(text)}</pre></body></html>\n`;
}
