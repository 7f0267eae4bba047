// The analysis worker of the Node.js server: a newer edit cancels a job cooperatively (the
// worker's graph build reads a shared cancel count and stops), every cancelled job rejects with
// AnalysisCancelled, and the same warm worker answers the next job; a worker whose job does not
// stop in time is ended and the next job starts a new one.

import { afterEach, describe, expect, it } from 'vitest';
import { generateLargePolicy } from '../../bench/policy-generator.js';
import { AnalysisCancelled } from '../../packages/lsp/src/analysis.js';
import { WorkerAnalyzer } from '../../packages/lsp/src/worker-analyzer.js';

const SCRIPT = new URL('../../packages/lsp/dist/analysis-worker.js', import.meta.url);
const SMALL = `policy small
model m { provider = "p" id = "m" price = { input: $1 per 1M, output: $2 per 1M } context = 8k }
input { prompt: text }
route { otherwise -> m }
`;
let analyzer: WorkerAnalyzer | undefined;
afterEach(() => analyzer?.dispose());

describe('WorkerAnalyzer', () => {
  it('cancelled jobs reject with AnalysisCancelled; the same warm worker answers the job after a run of cancels', async () => {
    analyzer = new WorkerAnalyzer(SCRIPT);
    await analyzer.analyze('/virtual/small.route', 0, new Map([['/virtual/small.route', SMALL]]), 'o200k_base');
    const big = generateLargePolicy(500);
    const cancelled: Promise<unknown>[] = [];
    for (let i = 0; i < 6; i++) {
      cancelled.push(analyzer.analyze('/virtual/big.route', i, new Map([['/virtual/big.route', big]]), 'o200k_base').catch((e: unknown) => e));
      analyzer.cancel();
    }
    for (const outcome of await Promise.all(cancelled)) expect(outcome).toBeInstanceOf(AnalysisCancelled);
    const report = await analyzer.analyze('/virtual/small.route', 7, new Map([['/virtual/small.route', SMALL]]), 'o200k_base');
    expect(report.entry).toBe('/virtual/small.route');
    expect(report.generation).toBe(7);
    expect(analyzer.workersStarted).toBe(1);
  }, 60_000);

  it('a cancel during the graph build interrupts it; the same worker answers the next job', async () => {
    analyzer = new WorkerAnalyzer(SCRIPT);
    await analyzer.analyze('/virtual/small.route', 0, new Map([['/virtual/small.route', SMALL]]), 'o200k_base');
    // The 2,000-line policy's build runs for about a second on this machine before RL3008.
    const big = analyzer.analyze('/virtual/big.route', 1, new Map([['/virtual/big.route', generateLargePolicy(2_000)]]), 'o200k_base').catch((e: unknown) => e);
    await new Promise((r) => setTimeout(r, 300));
    analyzer.cancel();
    expect(await big).toBeInstanceOf(AnalysisCancelled);
    const report = await analyzer.analyze('/virtual/small.route', 2, new Map([['/virtual/small.route', SMALL]]), 'o200k_base');
    expect(report.generation).toBe(2);
    expect(analyzer.jobsInterrupted).toBe(1);
    expect(analyzer.workersStarted).toBe(1);
  }, 60_000);

  it('a worker whose cancelled job does not stop in time is ended; the next job starts a new one', async () => {
    analyzer = new WorkerAnalyzer(new URL('../support/stuck-analysis-worker.mjs', import.meta.url));
    expect((await analyzer.analyze('/ok', 1, new Map(), 'o200k_base')).generation).toBe(1);
    const stuck = analyzer.analyze('/stuck', 2, new Map(), 'o200k_base').catch((e: unknown) => e);
    analyzer.cancel();
    expect(await stuck).toBeInstanceOf(AnalysisCancelled);
    // Queued behind the stuck job until the grace period ends its worker; then a new one answers.
    const next = await analyzer.analyze('/ok', 3, new Map(), 'o200k_base').catch((e: unknown) => e);
    expect(next).toBeInstanceOf(AnalysisCancelled);
    expect((await analyzer.analyze('/ok', 4, new Map(), 'o200k_base')).generation).toBe(4);
    expect(analyzer.workersStarted).toBe(2);
  }, 60_000);

  it('a finished job leaves nothing to cancel: the next job is answered by the same warm worker', async () => {
    analyzer = new WorkerAnalyzer(SCRIPT);
    const first = await analyzer.analyze('/virtual/small.route', 1, new Map([['/virtual/small.route', SMALL]]), 'o200k_base');
    analyzer.cancel(); // nothing pending: the warm worker stays
    const second = await analyzer.analyze('/virtual/small.route', 2, new Map([['/virtual/small.route', SMALL]]), 'o200k_base');
    expect([first.generation, second.generation]).toEqual([1, 2]);
    expect(second.diagnostics).toEqual(first.diagnostics);
  }, 60_000);
});
