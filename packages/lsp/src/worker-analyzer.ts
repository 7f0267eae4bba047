// Analyses in a worker thread: the server's main thread stays free for completion and hover
// while a large policy is analysed. A newer edit cancels work in progress by ending the
// worker (the graph build cannot be interrupted otherwise); the next job starts a new one.

import { Worker } from 'node:worker_threads';
import type { TokenizerName } from '@routelang/runtime';
import { AnalysisCancelled, type AnalysisReport, type Analyzer } from './analysis.js';

interface Pending {
  readonly resolve: (report: AnalysisReport) => void;
  readonly reject: (error: Error) => void;
}

export class WorkerAnalyzer implements Analyzer {
  private worker: Worker | undefined;
  private readonly pending = new Map<number, Pending>();
  private nextId = 0;

  constructor(private readonly script: URL) {}

  analyze(entry: string, generation: number, overlay: ReadonlyMap<string, string>, tokenizer: TokenizerName): Promise<AnalysisReport> {
    const worker = this.ensureWorker();
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      worker.postMessage({ id, entry, generation, overlay: [...overlay], tokenizer });
    });
  }

  cancel(): void {
    if (this.pending.size === 0) return;
    this.stop(new AnalysisCancelled());
  }

  dispose(): void {
    this.stop(new AnalysisCancelled());
  }

  private ensureWorker(): Worker {
    if (this.worker) return this.worker;
    const worker = new Worker(this.script);
    worker.on('message', (m: { id: number; report?: AnalysisReport; error?: string }) => {
      const p = this.pending.get(m.id);
      if (!p) return;
      this.pending.delete(m.id);
      if (m.report) p.resolve(m.report);
      else p.reject(new Error(m.error ?? 'analysis failed'));
    });
    // A worker that dies (out of memory, a bug) fails its jobs; the next job starts a new one.
    const fail = (error: Error): void => {
      // A worker ended by stop() has already failed its jobs; the pending ones belong to its successor.
      if (this.worker !== worker) return;
      this.worker = undefined;
      for (const p of this.pending.values()) p.reject(error);
      this.pending.clear();
    };
    worker.on('error', fail);
    worker.on('exit', (code) => fail(new Error(`the analysis worker stopped (exit code ${code})`)));
    worker.unref();
    this.worker = worker;
    return worker;
  }

  private stop(reason: Error): void {
    const worker = this.worker;
    this.worker = undefined;
    for (const p of this.pending.values()) p.reject(reason);
    this.pending.clear();
    void worker?.terminate();
  }
}
