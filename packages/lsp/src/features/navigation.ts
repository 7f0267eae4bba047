// Go to definition, find references, document highlights and rename. A symbol is found in
// the current document's program, then its uses are gathered from every policy in the
// workspace that includes the file declaring it, so a model renamed in a shared catalogue is
// renamed in every policy that imports it.

import type { Occurrence } from '@routelang/dsl';
import {
  type DocumentHighlight,
  DocumentHighlightKind,
  ErrorCodes,
  type Location,
  type Position,
  type Range,
  ResponseError,
  type TextEdit,
  type WorkspaceEdit,
} from 'vscode-languageserver';
import { toOffset, toRange } from '../convert.js';
import { pathToUri } from '../uri.js';
import type { Analysis, Workspace } from '../workspace.js';

/** The symbol occurrence under a position, with the analysis it was found in. */
export function occurrenceAt(workspace: Workspace, file: string, position: Position): { analysis: Analysis; occurrence: Occurrence } | undefined {
  const analysis = workspace.analysis(file);
  const source = analysis.source(file);
  if (!source) return undefined;
  const occurrence = analysis.index.at(file, toOffset(source, position));
  return occurrence ? { analysis, occurrence } : undefined;
}

export function definition(workspace: Workspace, file: string, position: Position): Location[] {
  const found = occurrenceAt(workspace, file, position);
  if (!found) return [];
  const declaration = found.analysis.index.declarationOf(found.occurrence.key);
  const source = declaration && found.analysis.source(declaration.file);
  return declaration && source ? [{ uri: pathToUri(declaration.file), range: toRange(source, declaration.span) }] : [];
}

/** Every occurrence of the symbol under the cursor, across the workspace, each once. */
function allOccurrences(workspace: Workspace, file: string, position: Position): { occurrence: Occurrence; range: Range }[] | undefined {
  const found = occurrenceAt(workspace, file, position);
  if (!found) return undefined;
  const { key } = found.occurrence;
  const home = found.analysis.index.declarationOf(key)?.file ?? file;
  const seen = new Set<string>();
  const out: { occurrence: Occurrence; range: Range }[] = [];
  for (const analysis of workspace.analysesIncluding(home)) {
    // The same name in another policy is the same symbol only if it is declared in the same file.
    if ((analysis.index.declarationOf(key)?.file ?? home) !== home) continue;
    for (const occurrence of analysis.index.of(key)) {
      const id = `${occurrence.file}:${occurrence.span.start}`;
      const source = analysis.source(occurrence.file);
      if (seen.has(id) || !source) continue;
      seen.add(id);
      out.push({ occurrence, range: toRange(source, occurrence.span) });
    }
  }
  return out;
}

export function references(workspace: Workspace, file: string, position: Position, includeDeclaration: boolean): Location[] {
  return (allOccurrences(workspace, file, position) ?? [])
    .filter((o) => includeDeclaration || !o.occurrence.declaration)
    .map((o) => ({ uri: pathToUri(o.occurrence.file), range: o.range }));
}

export function highlights(workspace: Workspace, file: string, position: Position): DocumentHighlight[] {
  const found = occurrenceAt(workspace, file, position);
  if (!found) return [];
  const source = found.analysis.source(file);
  if (!source) return [];
  return found.analysis.index
    .of(found.occurrence.key)
    .filter((o) => o.file === file)
    .map((o) => ({ range: toRange(source, o.span), kind: o.declaration ? DocumentHighlightKind.Write : DocumentHighlightKind.Read }));
}

/** Words that cannot name anything: the keywords that are not soft. */
const RESERVED = new Set([
  'policy',
  'import',
  'enum',
  'input',
  'from',
  'model',
  'provider',
  'tool',
  'validator',
  'classifier',
  'route',
  'when',
  'otherwise',
  'assert',
  'budget',
  'test',
  'and',
  'or',
  'not',
  'implies',
  'in',
  'contains',
  'true',
  'false',
]);
const IDENTIFIER = /^[A-Za-z_](?:[A-Za-z0-9_]|-(?!>))*$/;

/** The keywords that cannot be names (exported for the test that keeps this list in step with the lexer). */
export const reservedWords: ReadonlySet<string> = RESERVED;

export function prepareRename(workspace: Workspace, file: string, position: Position): { range: Range; placeholder: string } | null {
  const found = occurrenceAt(workspace, file, position);
  const source = found?.analysis.source(file);
  if (!found || !source) return null;
  return { range: toRange(source, found.occurrence.span), placeholder: found.occurrence.name };
}

/** The rename edit, or an error response naming what is wrong with the new name. */
export function rename(workspace: Workspace, file: string, position: Position, newName: string): WorkspaceEdit | ResponseError<void> {
  const found = occurrenceAt(workspace, file, position);
  if (!found) return new ResponseError(ErrorCodes.InvalidParams, 'there is no symbol to rename here');
  if (!IDENTIFIER.test(newName)) {
    return new ResponseError(
      ErrorCodes.InvalidParams,
      `\`${newName}\` is not a valid name: names start with a letter or \`_\` and continue with letters, digits, \`_\` or \`-\``,
    );
  }
  if (RESERVED.has(newName)) return new ResponseError(ErrorCodes.InvalidParams, `\`${newName}\` is a keyword and cannot be a name`);
  const { kind, key } = found.occurrence;
  // Models and routes share the plan namespace; a member must stay unique in its enum.
  const candidates =
    kind === 'member'
      ? [key.replace(/[^:]+$/, newName)]
      : kind === 'model' || kind === 'route'
        ? [`model:${newName}`, `route:${newName}`]
        : [`${kind}:${newName}`];
  const clash = candidates.find((k) => found.analysis.index.declarationOf(k));
  if (clash && newName !== found.occurrence.name) {
    return new ResponseError(ErrorCodes.InvalidParams, `\`${newName}\` already names a ${clash.split(':')[0]} in this policy`);
  }
  const changes: Record<string, TextEdit[]> = {};
  for (const { occurrence, range } of allOccurrences(workspace, file, position) ?? []) {
    const uri = pathToUri(occurrence.file);
    changes[uri] ??= [];
    changes[uri].push({ range, newText: newName });
  }
  return { changes };
}
