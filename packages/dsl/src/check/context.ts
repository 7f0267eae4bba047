// The checker's shared state: where diagnostics go, and the did-you-mean helper.
// Each checking module receives a `CheckContext` and reports against AST nodes.

import type { Ident } from '../ast.js';
import { type Diagnostic, type DiagnosticCode, type DiagnosticExtras, diagnostic } from '../diagnostics.js';
import type { Span } from '../source.js';

/** Something with a span: an AST node, or a span. */
export interface Located {
  readonly span: Span;
}

export class CheckContext {
  readonly diagnostics: Diagnostic[] = [];
  /** The "is not declared" reports: a file whose import failed may well declare those names. */
  readonly unknownNames = new Set<Diagnostic>();

  /** Reports a problem at `node` in `file`. */
  report(code: DiagnosticCode, file: string, node: Located, message: string, extras: DiagnosticExtras = {}): void {
    this.diagnostics.push(diagnostic(code, file, node.span, message, extras));
  }

  /**
   * Reports an unknown name, suggesting the closest known one (with a quick fix) when there is one.
   */
  reportUnknown(code: DiagnosticCode, file: string, name: Ident, what: string, candidates: Iterable<string>, help?: string): void {
    const before = this.diagnostics.length;
    this.reportUnknownName(code, file, name, what, candidates, help);
    for (const d of this.diagnostics.slice(before)) this.unknownNames.add(d);
  }

  private reportUnknownName(code: DiagnosticCode, file: string, name: Ident, what: string, candidates: Iterable<string>, help?: string): void {
    const suggestion = closest(name.name, candidates);
    if (suggestion !== undefined) {
      this.report(code, file, name, `${what} \`${name.name}\` is not declared; did you mean \`${suggestion}\`?`, {
        help: help ?? `replace it with \`${suggestion}\``,
        fix: { title: `change to \`${suggestion}\``, edits: [{ file, span: name.span, newText: suggestion }] },
      });
    } else {
      this.report(code, file, name, `${what} \`${name.name}\` is not declared`, help !== undefined ? { help } : {});
    }
  }
}

/** The candidate closest to `name` by edit distance, if it is close enough to be a likely typo. */
export function closest(name: string, candidates: Iterable<string>): string | undefined {
  const limit = Math.max(1, Math.floor(name.length / 3));
  let best: string | undefined;
  let bestDistance = Number.POSITIVE_INFINITY;
  const lower = name.toLowerCase();
  for (const candidate of candidates) {
    if (candidate === name) continue;
    const d = candidate.toLowerCase() === lower ? 0.5 : editDistance(name, candidate, limit);
    if (d < bestDistance || (d === bestDistance && best !== undefined && candidate < best)) {
      best = candidate;
      bestDistance = d;
    }
  }
  // Replacing every character of a one- or two-letter name is not a typo fix.
  return bestDistance <= limit && bestDistance < name.length ? best : undefined;
}

/** Optimal string alignment distance (Levenshtein plus adjacent transpositions), cut off above `limit`. */
export function editDistance(a: string, b: string, limit: number): number {
  if (Math.abs(a.length - b.length) > limit) return limit + 1;
  const rows = a.length + 1;
  const cols = b.length + 1;
  const d: number[] = new Array(rows * cols).fill(0);
  for (let i = 0; i < rows; i++) d[i * cols] = i;
  for (let j = 0; j < cols; j++) d[j] = j;
  for (let i = 1; i < rows; i++) {
    let rowMin = Number.POSITIVE_INFINITY;
    for (let j = 1; j < cols; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let v = Math.min((d[(i - 1) * cols + j] ?? 0) + 1, (d[i * cols + j - 1] ?? 0) + 1, (d[(i - 1) * cols + j - 1] ?? 0) + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) v = Math.min(v, (d[(i - 2) * cols + j - 2] ?? 0) + 1);
      d[i * cols + j] = v;
      rowMin = Math.min(rowMin, v);
    }
    if (rowMin > limit) return limit + 1;
  }
  return d[rows * cols - 1] ?? limit + 1;
}

/** `a`, `a` or `b`, `a`, `b` or `c`: a list of names for messages. */
export function listNames(names: readonly string[], conjunction = 'or'): string {
  const quoted = names.map((n) => `\`${n}\``);
  if (quoted.length <= 1) return quoted.join('');
  return `${quoted.slice(0, -1).join(', ')} ${conjunction} ${quoted[quoted.length - 1]}`;
}
