// The worker thread that computes analysis reports for the Node.js server.

import { parentPort } from 'node:worker_threads';
import { nodeHost } from '@routelang/dsl';
import type { TokenizerName } from '@routelang/runtime';
import { analyzeEntry } from './analysis.js';

interface Job {
  readonly id: number;
  readonly entry: string;
  readonly generation: number;
  readonly overlay: [string, string][];
  readonly tokenizer: TokenizerName;
}

parentPort?.on('message', (job: Job) => {
  analyzeEntry(job.entry, job.generation, nodeHost(new Map(job.overlay)), job.tokenizer).then(
    (report) => parentPort?.postMessage({ id: job.id, report }),
    (error: unknown) => parentPort?.postMessage({ id: job.id, error: error instanceof Error ? (error.stack ?? error.message) : String(error) }),
  );
});
