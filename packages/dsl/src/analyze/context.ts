// Shared state of the analyses: where findings go, and how counterexamples are found.

import type { Value } from '@routelang/runtime';
import { type Diagnostic, type DiagnosticCode, type DiagnosticExtras, diagnostic } from '../diagnostics.js';
import type { Compilation } from '../graph/compile.js';
import { TRUE } from '../graph/diagram.js';
import type { Span } from '../source.js';
import { type Counterexample, findCounterexample, formatCounterexample } from './witness.js';

export class AnalysisContext {
  readonly diagnostics: Diagnostic[] = [];
  private readonly defaults: ReadonlyMap<string, Value>;

  constructor(readonly c: Compilation) {
    this.defaults = new Map([...c.policy.fields].flatMap(([name, f]) => (f.default !== undefined ? [[name, f.default as Value]] : [])));
  }

  report(code: DiagnosticCode, file: string, node: { span: Span }, message: string, extras: DiagnosticExtras = {}): void {
    this.diagnostics.push(diagnostic(code, file, node.span, message, extras));
  }

  /** A request on which the boolean diagram `region` holds, or undefined when none exists. */
  example(region: number): Counterexample | undefined {
    return findCounterexample(this.c.diagrams, region, (t) => t === TRUE, this.c.fieldTypes, this.defaults);
  }

  /** A request on which the diagram reaches a terminal accepted by `target`. */
  exampleReaching(root: number, target: (terminal: number) => boolean): Counterexample | undefined {
    return findCounterexample(this.c.diagrams, root, target, this.c.fieldTypes, this.defaults);
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
