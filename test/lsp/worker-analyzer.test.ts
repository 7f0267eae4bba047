// The analysis worker of the Node.js server: cancelling a job ends its worker (the graph build
// cannot be interrupted otherwise); every cancelled job rejects with AnalysisCancelled and the
// job after a run of cancels is answered by a fresh worker.

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
  it('cancelled jobs reject with AnalysisCancelled; the job after a run of cancels is answered', async () => {
    analyzer = new WorkerAnalyzer(SCRIPT);
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
