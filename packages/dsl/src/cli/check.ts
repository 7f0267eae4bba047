// `routelang check FILE...`: every diagnostic (syntax, names, types and the analyses of the
// decision graph) as text, JSON or SARIF; exit 1 on any error.

import { compilePolicy } from '../compile.js';
import { type Diagnostic, hasErrors, sortDiagnostics } from '../diagnostics.js';
import type { SourceFile } from '../source.js';
import { expandFiles } from './files.js';
import type { CommandIO } from './io.js';
import { renderJson, renderSarif, renderText } from './render.js';

export type OutputFormat = 'text' | 'json' | 'sarif';

/** Checks each entry file (imports followed) and prints every diagnostic once. */
/** Exit 1 on any error, or with `denyWarnings` on any warning too; 0 otherwise. */
export function runCheck(args: readonly string[], format: OutputFormat, io: CommandIO, options: { denyWarnings?: boolean } = {}): number {
  const files = expandFiles(args);
  const sources = new Map<string, SourceFile>();
  const seen = new Set<string>();
  const all: Diagnostic[] = [];
  for (const file of files) {
    const result = compilePolicy(file);
    for (const [path, loaded] of result.program.modules) sources.set(path, loaded.source);
    for (const d of result.diagnostics) {
      // A catalogue imported by several entry files is reported once.
      const key = `${d.file}\u0000${d.span.start}\u0000${d.span.end}\u0000${d.code}\u0000${d.message}`;
      if (seen.has(key)) continue;
      seen.add(key);
      all.push(d);
    }
  }
  const diagnostics = sortDiagnostics(all);
  const lookup = (file: string): SourceFile | undefined => sources.get(file);
  if (format === 'json') io.out(renderJson(diagnostics, lookup));
  else if (format === 'sarif') io.out(renderSarif(diagnostics, lookup, io.version));
  else {
    if (diagnostics.length > 0) io.out(renderText(diagnostics, lookup, io.color));
    const errors = diagnostics.filter((d) => d.severity === 'error').length;
    const warnings = diagnostics.filter((d) => d.severity === 'warning').length;
    io.err(
      `checked ${files.length} file${files.length === 1 ? '' : 's'}: ${errors} error${errors === 1 ? '' : 's'}, ${warnings} warning${warnings === 1 ? '' : 's'}`,
    );
  }
  return hasErrors(diagnostics) || (options.denyWarnings === true && diagnostics.some((d) => d.severity === 'warning')) ? 1 : 0;
}
