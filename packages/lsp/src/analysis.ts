// The slow half of checking: the decision graph, the analyses (with counterexamples), each
// rule's worst-case cost and reachable models, and the policy's tests. It runs off the
// request path (in a worker thread under Node.js), so completion and hover never wait for
// it. A report is plain data, keyed by file and offset, so it crosses threads as is.

import { CompileInterrupted, type CompilerHost, compilePolicy, type Diagnostic, runPolicyTests } from '@routelang/dsl';
import type { TokenizerName } from '@routelang/runtime';
import { type RuleSummary, summariseRules } from './rule-summary.js';

/** What the analyses found for one entry file, at one state of the documents. */
export interface AnalysisReport {
  readonly entry: string;
  /** The workspace generation the report was computed for. */
  readonly generation: number;
  /** Every diagnostic: front end and analyses. */
  readonly diagnostics: readonly Diagnostic[];
  /** Each rule that decides some request, by the start offset of its text. */
  readonly rules: readonly { readonly file: string; readonly start: number; readonly summary: RuleSummary }[];
  /** Test outcomes by the start offset of the `test`; undefined when the policy has errors. */
  readonly tests:
    | readonly { readonly file: string; readonly start: number; readonly name: string; readonly passed: boolean; readonly failures: readonly string[] }[]
    | undefined;
}

/**
 * Computes a report. Never throws on bad input (the compiler does not); `interrupted` (asked
 * during the graph build and the analyses) stops it with `CompileInterrupted`.
 */
export async function analyzeEntry(
  entry: string,
  generation: number,
  host: CompilerHost,
  tokenizer: TokenizerName = 'o200k_base',
  interrupted?: () => boolean,
): Promise<AnalysisReport> {
  // A job cancelled while it waited in the worker's queue stops before the front end.
  if (interrupted?.()) throw new CompileInterrupted();
  const result = compilePolicy(entry, host, interrupted ? { interrupted } : {});
  const rules: { file: string; start: number; summary: RuleSummary }[] = [];
  if (result.compilation) {
    const summaries = summariseRules(result.compilation);
    for (const route of result.compilation.routes.values()) {
      for (const rule of route.rules) {
        const summary = summaries.get(rule.node);
        if (summary) rules.push({ file: route.info.file, start: rule.node.span.start, summary });
      }
    }
  }
  let tests: AnalysisReport['tests'];
  if (result.compilation && result.ir) {
    const report = await runPolicyTests(result.compilation, result.ir, { tokenizer });
    tests = report.outcomes.map((o) => ({ file: o.file, start: o.node.span.start, name: o.name, passed: o.passed, failures: o.failures }));
  }
  return { entry, generation, diagnostics: result.diagnostics, rules, tests };
}

/** Rejects the reports that a newer edit made useless. */
export class AnalysisCancelled extends Error {
  constructor() {
    super('analysis cancelled by a newer edit');
  }
}

/** Where reports are computed. */
export interface Analyzer {
  /** Analyses `entry` with `overlay` (open documents: path → text) over the file system. */
  analyze(entry: string, generation: number, overlay: ReadonlyMap<string, string>, tokenizer: TokenizerName): Promise<AnalysisReport>;
  /** Drops work in progress whose result is no longer wanted (a newer edit arrived). */
  cancel(): void;
  dispose(): void;
}

/** Runs analyses on the calling thread (the browser build, and embedders without workers). */
export class InlineAnalyzer implements Analyzer {
  constructor(private readonly hostFor: (overlay: ReadonlyMap<string, string>) => CompilerHost) {}

  analyze(entry: string, generation: number, overlay: ReadonlyMap<string, string>, tokenizer: TokenizerName): Promise<AnalysisReport> {
    return analyzeEntry(entry, generation, this.hostFor(overlay), tokenizer);
  }

  cancel(): void {}

  dispose(): void {}
}
