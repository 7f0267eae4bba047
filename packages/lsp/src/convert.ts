// Conversions between the compiler's spans (UTF-16 offsets, as LSP counts characters) and
// the protocol's ranges and diagnostics.

import type { Diagnostic as RlDiagnostic, SourceFile, Span } from '@routelang/dsl';
import { type Diagnostic, DiagnosticSeverity, DiagnosticTag, type Position, type Range } from 'vscode-languageserver';
import { pathToUri } from './uri.js';

/** The LSP range of a span in `source`. */
export function toRange(source: SourceFile, span: Span): Range {
  return { start: toPosition(source, span.start), end: toPosition(source, span.end) };
}

export function toPosition(source: SourceFile, offset: number): Position {
  const p = source.position(offset);
  return { line: p.line - 1, character: p.column - 1 };
}

/** The offset of an LSP position in `source`, clamped to the text (positions past the end are fine). */
export function toOffset(source: SourceFile, position: Position): number {
  return source.offsetAt({ line: Math.max(0, position.line) + 1, column: Math.max(0, position.character) + 1 });
}

const SEVERITY = { error: DiagnosticSeverity.Error, warning: DiagnosticSeverity.Warning, info: DiagnosticSeverity.Information } as const;

/** Codes that mark text that can never take effect: editors grey it out. */
const UNNECESSARY = new Set(['RL3001', 'RL3002', 'RL2023', 'RL2033']);

/**
 * An LSP diagnostic: the message carries the help line and, for analyses, the request that
 * shows the problem (the counterexample), so it reads whole in a hover or the Problems panel.
 */
export function toLspDiagnostic(d: RlDiagnostic, sourceOf: (file: string) => SourceFile | undefined): Diagnostic | undefined {
  const source = sourceOf(d.file);
  if (!source) return undefined;
  let message = d.message;
  if (d.counterexample) message += `\ncounterexample: ${JSON.stringify(d.counterexample)}`;
  if (d.help) message += `\nhelp: ${d.help}`;
  const out: Diagnostic = { range: toRange(source, d.span), severity: SEVERITY[d.severity], code: d.code, source: 'routelang', message };
  if (UNNECESSARY.has(d.code)) out.tags = [DiagnosticTag.Unnecessary];
  const related = (d.related ?? []).flatMap((r) => {
    const rs = sourceOf(r.file);
    return rs ? [{ location: { uri: pathToUri(r.file), range: toRange(rs, r.span) }, message: r.message }] : [];
  });
  if (related.length > 0) out.relatedInformation = related;
  return out;
}
