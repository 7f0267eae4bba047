// Shared state of the analyses: where findings go, and how counterexamples are found.

import type { Value } from '@routelang/runtime';
import { type Diagnostic, type DiagnosticCode, type DiagnosticExtras, diagnostic } from '../diagnostics.js';
import type { Compilation } from '../graph/compile.js';
import type { Span } from '../source.js';
import { type Counterexample, counterexample, formatCounterexample } from './witness.js';

/** The answer to "does some request lie in this region?" */
export type Verdict =
  | { readonly kind: 'empty' }
  | { readonly kind: 'example'; readonly example: Counterexample }
  | { readonly kind: 'undecided'; readonly reason: string };

export class AnalysisContext {
  readonly diagnostics: Diagnostic[] = [];
  private readonly defaults: ReadonlyMap<string, Value>;

  constructor(readonly c: Compilation) {
    this.defaults = new Map([...c.policy.fields].flatMap(([name, f]) => (f.default !== undefined ? [[name, f.default as Value]] : [])));
  }

  report(code: DiagnosticCode, file: string, node: { span: Span }, message: string, extras: DiagnosticExtras = {}): void {
    this.diagnostics.push(diagnostic(code, file, node.span, message, extras));
  }

  /**
   * Whether some request lies in the boolean diagram `region`: `empty` is a proof that none
   * does, `example` gives one, `undecided` says neither could be established (the analyses
   * then report RL3009 and never treat it as a proof).
   */
  decide(region: number): Verdict {
    const d = this.c.diagrams;
    // Only inputs that exist: paths outside `consistent` ask for strings no request has.
    const path = d.witness(d.and(region, this.c.consistent));
    if (!path) return { kind: 'empty' };
    const example = counterexample(d, path, this.c.fieldTypes, this.defaults);
    return example ? { kind: 'example', example } : { kind: 'undecided', reason: 'no request could be built for a consistent path' };
  }

  /** A request on which `region` holds; undefined when there is none or it is undecided. */
  example(region: number): Counterexample | undefined {
    const v = this.decide(region);
    return v.kind === 'example' ? v.example : undefined;
  }

  /**
   * Reports that an analysis could not decide a question (RL3009). Never a proof: an error
   * where a proof was needed (assertions, windows, coverage), a warning for reachability.
   */
  undecided(file: string, node: { span: Span }, what: string, reason: string, severity: 'error' | 'warning'): void {
    this.diagnostics.push(
      diagnostic('RL3009', file, node.span, `could not decide ${what}: ${reason}`, {
        help: 'this is a limit of the checker, not a proof either way; please report the policy, and simplify the conditions involved meanwhile',
        severity,
      }),
    );
  }

  /** `for example {…}` for messages. */
  show(example: Counterexample): string {
    return formatCounterexample(example);
  }
}

/** The line of a span, for messages that name other rules. */
export function lineOf(c: Compilation, file: string, span: Span): number {
  return c.policy.program.modules.get(file)?.source.position(span.start).line ?? 1;
}
