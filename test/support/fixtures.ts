// Shared helpers for fixture-driven tests: finding fixture files and turning diagnostics
// into the golden JSON shape (paths relative to the fixture, 1-based lines and columns).

import { readdirSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Diagnostic } from '../../packages/dsl/src/diagnostics.js';
import type { SourceFile } from '../../packages/dsl/src/source.js';

export const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
export const CONFORMANCE = join(ROOT, 'test', 'conformance');

/** Every `.route` file under `dir`, sorted; files under a `lib/` folder are imported by others, not entries. */
export function routeFiles(dir: string, includeLib = false): string[] {
  const out: string[] = [];
  const walk = (d: string): void => {
    for (const entry of readdirSync(d, { withFileTypes: true }).sort((a, b) => (a.name < b.name ? -1 : 1))) {
      const path = join(d, entry.name);
      if (entry.isDirectory()) {
        if (entry.name === 'lib' && !includeLib) continue;
        walk(path);
      } else if (entry.name.endsWith('.route')) out.push(path);
    }
  };
  walk(dir);
  return out;
}

export interface GoldenDiagnostic {
  code: string;
  severity: string;
  file: string;
  line: number;
  column: number;
  endLine: number;
  endColumn: number;
  message: string;
  help?: string;
  related?: { file: string; line: number; column: number; message: string }[];
}

/** Diagnostics in golden form, relative to `baseDir`. */
export function goldenDiagnostics(diagnostics: readonly Diagnostic[], sources: (file: string) => SourceFile | undefined, baseDir: string): GoldenDiagnostic[] {
  return diagnostics.map((d) => {
    const source = sources(d.file);
    const start = source?.position(d.span.start) ?? { line: 1, column: 1 };
    const end = source?.position(d.span.end) ?? { line: 1, column: 1 };
    const g: GoldenDiagnostic = {
      code: d.code,
      severity: d.severity,
      file: relative(baseDir, d.file).split('\\').join('/'),
      line: start.line,
      column: start.column,
      endLine: end.line,
      endColumn: end.column,
      message: d.message,
    };
    if (d.help) g.help = d.help;
    if (d.related) {
      g.related = d.related.map((r) => {
        const p = sources(r.file)?.position(r.span.start) ?? { line: 1, column: 1 };
        return { file: relative(baseDir, r.file).split('\\').join('/'), line: p.line, column: p.column, message: r.message };
      });
    }
    return g;
  });
}
