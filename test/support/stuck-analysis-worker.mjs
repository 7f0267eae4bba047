// A stand-in analysis worker for test/lsp/worker-analyzer.test.ts: it answers a job for
// `/ok` at once and never returns from any other (it ignores the cancel count), as a job
// stuck outside the graph build would.
import { parentPort } from 'node:worker_threads';

parentPort?.on('message', (job) => {
  if (job.entry === '/ok') {
    parentPort?.postMessage({ id: job.id, report: { entry: job.entry, generation: job.generation, diagnostics: [], rules: [], tests: undefined } });
    return;
  }
  for (;;) {
    // stuck
  }
});
