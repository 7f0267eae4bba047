// Source files and positions: the one place that turns offsets into lines and columns.
// Every AST node carries a `Span` of UTF-16 offsets into its file's text; lines and
// columns (1-based, as editors and SARIF count them) are computed here on demand.

/** A half-open range `[start, end)` of UTF-16 offsets into one file's text. */
export interface Span {
  readonly start: number;
  readonly end: number;
}

/** A 1-based line and column. */
export interface Position {
  readonly line: number;
  readonly column: number;
}

/** A source file: its path (as the user named it) and its text, with a line index. */
export class SourceFile {
  readonly path: string;
  readonly text: string;
  private lineStartsCache: number[] | undefined;

  constructor(path: string, text: string) {
    this.path = path;
    this.text = text;
  }

  /** Offsets at which each line starts (line 1 starts at 0). */
  get lineStarts(): readonly number[] {
    if (this.lineStartsCache === undefined) {
      const starts = [0];
      const text = this.text;
      for (let i = 0; i < text.length; i++) {
        if (text.charCodeAt(i) === 10) starts.push(i + 1);
      }
      this.lineStartsCache = starts;
    }
    return this.lineStartsCache;
  }

  /** The 1-based line and column of an offset (clamped to the text). */
  position(offset: number): Position {
    const starts = this.lineStarts;
    const clamped = Math.max(0, Math.min(offset, this.text.length));
    let lo = 0;
    let hi = starts.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if ((starts[mid] ?? 0) <= clamped) lo = mid;
      else hi = mid - 1;
    }
    return { line: lo + 1, column: clamped - (starts[lo] ?? 0) + 1 };
  }

  /** The offset of a 1-based line and column (clamped). */
  offsetAt(pos: Position): number {
    const starts = this.lineStarts;
    const lineIndex = Math.max(0, Math.min(pos.line - 1, starts.length - 1));
    const start = starts[lineIndex] ?? 0;
    const next = starts[lineIndex + 1] ?? this.text.length + 1;
    return Math.min(start + Math.max(0, pos.column - 1), next - 1);
  }

  /** The text of a 1-based line, without its line break. */
  lineText(line: number): string {
    const starts = this.lineStarts;
    const start = starts[line - 1];
    if (start === undefined) return '';
    const next = starts[line];
    const end = next === undefined ? this.text.length : next - 1;
    return this.text.slice(start, end).replace(/\r$/, '');
  }

  /** The text a span covers. */
  slice(span: Span): string {
    return this.text.slice(span.start, span.end);
  }
}

/** A span covering both `a` and `b`. */
export function cover(a: Span, b: Span): Span {
  return { start: Math.min(a.start, b.start), end: Math.max(a.end, b.end) };
}
