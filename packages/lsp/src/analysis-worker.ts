// The worker thread that computes analysis reports for the Node.js server.

import { parentPort, workerData } from 'node:worker_threads';
import { CompileInterrupted, nodeHost } from '@routelang/dsl';
import type { TokenizerName } from '@routelang/runtime';
import { analyzeEntry } from './analysis.js';

interface Job {
  readonly id: number;
  readonly entry: string;
  readonly generation: number;
  readonly overlay: [string, string][];
  readonly tokenizer: TokenizerName;
  /** The cancel count when the job was sent: the job is stale once the count moves on. */
  readonly ticket: number;
}

/** Slot 0: how many times the server has cancelled (see WorkerAnalyzer). */
const cancels = new Int32Array((workerData as { cancels: SharedArrayBuffer }).cancels);

parentPort?.on('message', (job: Job) => {
  const interrupted = (): boolean => Atomics.load(cancels, 0) !== job.ticket;
  analyzeEntry(job.entry, job.generation, nodeHost(new Map(job.overlay)), job.tokenizer, interrupted).then(
    (report) => parentPort?.postMessage({ id: job.id, report }),
    (error: unknown) =>
      parentPort?.postMessage(
        error instanceof CompileInterrupted
          ? { id: job.id, cancelled: true }
          : { id: job.id, error: error instanceof Error ? (error.stack ?? error.message) : String(error) },
      ),
  );
});
