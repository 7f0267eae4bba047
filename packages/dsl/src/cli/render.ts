// Renderings of diagnostics: human text with the source line and a caret, the JSON of
// docs/cli.md, and SARIF 2.1.0 for code-scanning annotations. All read the same objects.

import { relative } from 'node:path';
import { CATALOGUE, type Diagnostic, type DiagnosticCode } from '../diagnostics.js';
import type { SourceFile } from '../source.js';

/** Finds the text of a file a diagnostic points into. */
export type SourceLookup = (file: string) => SourceFile | undefined;

/** The path as shown to the user: relative to the working directory when inside it. */
export function displayPath(file: string, cwd = process.cwd()): string {
  const rel = relative(cwd, file);
  return rel === '' || rel.startsWith('..') ? file : rel.split('\\').join('/');
}

interface Range {
  start: { line: number; column: number };
  end: { line: number; column: number };
}

function rangeOf(d: { span: { start: number; end: number } }, source: SourceFile | undefined): Range {
  if (!source) return { start: { line: 1, column: 1 }, end: { line: 1, column: 1 } };
  return { start: source.position(d.span.start), end: source.position(d.span.end) };
}

const COLORS = { error: '\u001b[31m', warning: '\u001b[33m', info: '\u001b[36m', bold: '\u001b[1m', dim: '\u001b[2m', reset: '\u001b[0m' };

/** Text: `file:line:col: severity CODE: message`, the source line, a caret line, help. */
export function renderText(diagnostics: readonly Diagnostic[], lookup: SourceLookup, color = false): string {
  const c = (code: keyof typeof COLORS, s: string): string => (color ? `${COLORS[code]}${s}${COLORS.reset}` : s);
  const out: string[] = [];
  for (const d of diagnostics) {
    const source = lookup(d.file);
    const range = rangeOf(d, source);
    out.push(`${c('bold', `${displayPath(d.file)}:${range.start.line}:${range.start.column}`)}: ${c(d.severity, `${d.severity} ${d.code}`)}: ${d.message}`);
    if (source && source.text.length > 0) {
      const lineText = source.lineText(range.start.line).replace(/\t/g, ' ');
      const gutter = String(range.start.line);
      const width =
        range.end.line === range.start.line ? Math.max(1, range.end.column - range.start.column) : Math.max(1, lineText.length - range.start.column + 1);
      out.push(`${c('dim', `${gutter} |`)} ${lineText}`);
      out.push(`${' '.repeat(gutter.length)} ${c('dim', '|')} ${' '.repeat(range.start.column - 1)}${c(d.severity, '^'.repeat(width))}`);
    }
    if (d.help) out.push(`${' '.repeat(String(range.start.line).length)} = help: ${d.help}`);
    for (const r of d.related ?? []) {
      const rs = lookup(r.file);
      const p = rs ? rs.position(r.span.start) : { line: 1, column: 1 };
      out.push(`${' '.repeat(String(range.start.line).length)} = note: ${r.message} (${displayPath(r.file)}:${p.line}:${p.column})`);
    }
  }
  return out.join('\n');
}

/** The JSON document of `routelang check --format json`. */
export function renderJson(diagnostics: readonly Diagnostic[], lookup: SourceLookup): string {
  const items = diagnostics.map((d) => {
    const source = lookup(d.file);
    return {
      code: d.code,
      severity: d.severity,
      message: d.message,
      file: displayPath(d.file),
      range: rangeOf(d, source),
      ...(d.help ? { help: d.help } : {}),
      ...(d.counterexample ? { counterexample: d.counterexample } : {}),
      ...(d.related ? { related: d.related.map((r) => ({ message: r.message, file: displayPath(r.file), range: rangeOf(r, lookup(r.file)) })) } : {}),
      ...(d.fix
        ? { fix: { title: d.fix.title, edits: d.fix.edits.map((e) => ({ file: displayPath(e.file), range: rangeOf(e, lookup(e.file)), newText: e.newText })) } }
        : {}),
    };
  });
  return JSON.stringify({ diagnostics: items }, null, 2);
}

const SARIF_LEVEL = { error: 'error', warning: 'warning', info: 'note' } as const;

/** SARIF 2.1.0, one run, with the whole catalogue as the rule set. */
export function renderSarif(diagnostics: readonly Diagnostic[], lookup: SourceLookup, version: string): string {
  const codes = Object.keys(CATALOGUE) as DiagnosticCode[];
  const rules = codes.map((code) => ({
    id: code,
    name: CATALOGUE[code].name,
    shortDescription: { text: CATALOGUE[code].summary },
    fullDescription: { text: CATALOGUE[code].explanation },
    defaultConfiguration: { level: SARIF_LEVEL[CATALOGUE[code].severity] },
    helpUri: `https://github.com/routelang/routelang/blob/main/docs/diagnostics.md#${code.toLowerCase()}`,
  }));
  const region = (file: string, span: { start: number; end: number }): object => {
    const r = rangeOf({ span }, lookup(file));
    return { startLine: r.start.line, startColumn: r.start.column, endLine: r.end.line, endColumn: r.end.column };
  };
  const location = (file: string, span: { start: number; end: number }): object => ({
    physicalLocation: { artifactLocation: { uri: displayPath(file) }, region: region(file, span) },
  });
  const results = diagnostics.map((d) => ({
    ruleId: d.code,
    ruleIndex: codes.indexOf(d.code),
    level: SARIF_LEVEL[d.severity],
    message: { text: d.help ? `${d.message}\nhelp: ${d.help}` : d.message },
    locations: [location(d.file, d.span)],
    ...(d.related ? { relatedLocations: d.related.map((r, id) => ({ id, message: { text: r.message }, ...location(r.file, r.span) })) } : {}),
    ...(d.fix
      ? {
          fixes: [
            {
              description: { text: d.fix.title },
              artifactChanges: d.fix.edits.map((e) => ({
                artifactLocation: { uri: displayPath(e.file) },
                replacements: [{ deletedRegion: region(e.file, e.span), insertedContent: { text: e.newText } }],
              })),
            },
          ],
        }
      : {}),
  }));
  return JSON.stringify(
    {
      $schema: 'https://json.schemastore.org/sarif-2.1.0.json',
      version: '2.1.0',
      runs: [
        {
          tool: { driver: { name: 'routelang', version, informationUri: 'https://github.com/routelang/routelang', rules } },
          columnKind: 'utf16CodeUnits',
          results,
        },
      ],
    },
    null,
    2,
  );
}
