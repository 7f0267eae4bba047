// Live per-model statistics for adaptive choices (`fastest`, `best by`): latency and score.
// One instance keeps exponentially weighted means of its own observations. In a fleet
// (`StateStore.join`), observations are also drained in batches to the shared store, which
// merges every instance's with time decay and hands back the fleet's sums; a mean then is
// (the fleet's decayed sum + this instance's observations since) ÷ (the fleet's weight + their count).

/** The observations of one metric since the last drain, per model: sum and count. */
export type StatsBatch = Record<'latency' | 'score', Record<string, { readonly sum: number; readonly count: number }>>;

/** The fleet's merged (decayed) sums and weights, per metric and model. */
export type FleetStats = Record<'latency' | 'score', Record<string, { readonly sum: number; readonly weight: number }>>;

type Metric = 'latency' | 'score';

/** Running per-model statistics for adaptive choices. */
export class ModelStats {
  private readonly local: Record<Metric, Map<string, number>> = { latency: new Map(), score: new Map() };
  private pending: Record<Metric, Map<string, { sum: number; count: number }>> = { latency: new Map(), score: new Map() };
  private fleet: FleetStats | undefined;

  recordLatency(model: string, ms: number): void {
    this.record('latency', model, ms);
  }

  recordScore(model: string, score: number): void {
    this.record('score', model, score);
  }

  private record(metric: Metric, model: string, value: number): void {
    const prev = this.local[metric].get(model);
    this.local[metric].set(model, prev === undefined ? value : prev * 0.8 + value * 0.2);
    if (this.fleet === undefined) return;
    const p = this.pending[metric].get(model);
    if (p) {
      p.sum += value;
      p.count++;
    } else this.pending[metric].set(model, { sum: value, count: 1 });
  }

  /** Observed latency, else the catalogue's expected latency, else unknown (Infinity). */
  latencyOf(model: { readonly name: string; readonly latencyMs?: number | undefined }): number {
    return this.mean('latency', model.name) ?? model.latencyMs ?? Number.POSITIVE_INFINITY;
  }

  /** Observed mean score (unknown models first: 1, so each is tried). */
  scoreOf(model: string): number {
    return this.mean('score', model) ?? 1;
  }

  private mean(metric: Metric, model: string): number | undefined {
    const shared = this.fleet?.[metric][model];
    if (shared && shared.weight > 0) {
      const p = this.pending[metric].get(model);
      return (shared.sum + (p?.sum ?? 0)) / (shared.weight + (p?.count ?? 0));
    }
    return this.local[metric].get(model);
  }

  /** Starts keeping observations for the fleet (before the first merge, means stay local). */
  share(): void {
    this.fleet ??= { latency: {}, score: {} };
  }

  /** The observations since the last drain, handed to the fleet (and forgotten here once merged). */
  drain(): StatsBatch {
    const batch: StatsBatch = { latency: Object.fromEntries(this.pending.latency), score: Object.fromEntries(this.pending.score) };
    this.pending = { latency: new Map(), score: new Map() };
    return batch;
  }

  /** A drained batch the fleet did not take (its store was unreachable): kept for the next drain. */
  restore(batch: StatsBatch): void {
    for (const metric of ['latency', 'score'] as const) {
      for (const [model, { sum, count }] of Object.entries(batch[metric])) {
        const p = this.pending[metric].get(model);
        if (p) {
          p.sum += sum;
          p.count += count;
        } else this.pending[metric].set(model, { sum, count });
      }
    }
  }

  /** The fleet's merged sums (they include every batch drained so far). */
  merge(fleet: FleetStats): void {
    this.fleet = fleet;
  }
}
