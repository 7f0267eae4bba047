// Analyses in a worker thread: the server's main thread stays free for completion and hover
// while a large policy is analysed. A newer edit cancels work in progress cooperatively: a
// shared cancel count that the worker's graph build reads every few thousand steps, so the
// stale job stops within milliseconds and the same warm worker (its code optimised, its heap
// grown) takes the next job. A worker that does not stop in time (stuck outside the graph
// build) is ended, and the next job starts a new one.

import { Worker } from 'node:worker_threads';
import type { TokenizerName } from '@routelang/runtime';
import { AnalysisCancelled, type AnalysisReport, type Analyzer } from './analysis.js';

interface Pending {
  readonly resolve: (report: AnalysisReport) => void;
  readonly reject: (error: Error) => void;
}

/** How long cancelled jobs may take to stop before their worker is ended (a stuck job, not a slow one: the build stops in milliseconds). */
const STOP_GRACE_MS = 2_000;

export class WorkerAnalyzer implements Analyzer {
  private worker: Worker | undefined;
  private readonly pending = new Map<number, Pending>();
  /** Cancelled jobs the worker has not yet answered (it answers each, stopped or not). */
  private readonly stale = new Set<number>();
  private graceTimer: ReturnType<typeof setTimeout> | undefined;
  /** Slot 0 counts cancels; a job carries the count it was sent at (see analysis-worker.ts). */
  private cancels = new Int32Array(new SharedArrayBuffer(4));
  private nextId = 0;
  /** Workers started so far (a cancel that the worker honours in time starts none). */
  workersStarted = 0;
  /** Cancelled jobs the worker stopped before they finished (the others ran to the end first). */
  jobsInterrupted = 0;

  constructor(private readonly script: URL) {}

  analyze(entry: string, generation: number, overlay: ReadonlyMap<string, string>, tokenizer: TokenizerName): Promise<AnalysisReport> {
    const worker = this.ensureWorker();
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      worker.postMessage({ id, entry, generation, overlay: [...overlay], tokenizer, ticket: Atomics.load(this.cancels, 0) });
    });
  }

  cancel(): void {
    if (this.pending.size === 0) return;
    Atomics.add(this.cancels, 0, 1);
    for (const [id, p] of this.pending) {
      this.stale.add(id);
      p.reject(new AnalysisCancelled());
    }
    this.pending.clear();
    this.graceTimer ??= setTimeout(() => {
      this.graceTimer = undefined;
      if (this.stale.size > 0) this.stop(new AnalysisCancelled());
    }, STOP_GRACE_MS);
    this.graceTimer.unref?.();
  }

  dispose(): void {
    this.stop(new AnalysisCancelled());
  }

  private ensureWorker(): Worker {
    if (this.worker) return this.worker;
    const worker = new Worker(this.script, { workerData: { cancels: this.cancels.buffer } });
    this.workersStarted++;
    worker.on('message', (m: { id: number; report?: AnalysisReport; error?: string; cancelled?: boolean }) => {
      if (this.worker !== worker) return;
      if (this.stale.delete(m.id)) {
        if (m.cancelled) this.jobsInterrupted++;
        if (this.stale.size === 0 && this.graceTimer) {
          clearTimeout(this.graceTimer);
          this.graceTimer = undefined;
        }
        return;
      }
      const p = this.pending.get(m.id);
      if (!p) return;
      this.pending.delete(m.id);
      if (m.report) p.resolve(m.report);
      else if (m.cancelled) p.reject(new AnalysisCancelled());
      else p.reject(new Error(m.error ?? 'analysis failed'));
    });
    // A worker that dies (out of memory, a bug) fails its jobs; the next job starts a new one.
    const fail = (error: Error): void => {
      // A worker ended by stop() has already failed its jobs; the pending ones belong to its successor.
      if (this.worker !== worker) return;
      this.worker = undefined;
      this.stale.clear();
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
    if (this.graceTimer) clearTimeout(this.graceTimer);
    this.graceTimer = undefined;
    this.stale.clear();
    for (const p of this.pending.values()) p.reject(reason);
    this.pending.clear();
    // A fresh count for the next worker: jobs of the ended one can no longer be answered.
    this.cancels = new Int32Array(new SharedArrayBuffer(4));
    void worker?.terminate();
  }
}
