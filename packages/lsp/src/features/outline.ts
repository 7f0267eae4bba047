// Document symbols (the outline), folding ranges and semantic tokens: read off the file's
// syntax tree and the symbol index.

import type { Declaration, Module, SourceFile } from '@routelang/dsl';
import { type DocumentSymbol, type FoldingRange, FoldingRangeKind, type SemanticTokens, SemanticTokensBuilder, SymbolKind } from 'vscode-languageserver';
import { toRange } from '../convert.js';
import type { Workspace } from '../workspace.js';

export function documentSymbols(workspace: Workspace, file: string): DocumentSymbol[] {
  const analysis = workspace.analysis(file);
  const loaded = analysis.front.program.modules.get(file);
  if (!loaded) return [];
  const out: DocumentSymbol[] = [];
  for (const decl of loaded.module.declarations) {
    const symbol = declarationSymbol(loaded.source, decl);
    if (symbol) out.push(symbol);
  }
  return out;
}

function symbol(
  source: SourceFile,
  name: string,
  detail: string,
  kind: SymbolKind,
  whole: { span: { start: number; end: number } },
  selection: { span: { start: number; end: number } },
  children?: DocumentSymbol[],
): DocumentSymbol {
  const range = toRange(source, whole.span);
  let selectionRange = toRange(source, selection.span);
  // The selection must lie inside the range, even in a repaired tree.
  if (selection.span.start < whole.span.start || selection.span.end > whole.span.end) selectionRange = range;
  return { name: name || '(unnamed)', detail, kind, range, selectionRange, ...(children && children.length > 0 ? { children } : {}) };
}

function declarationSymbol(source: SourceFile, decl: Declaration): DocumentSymbol | undefined {
  switch (decl.kind) {
    case 'Policy':
      return symbol(source, decl.name.name, decl.version ? `version ${decl.version.raw}` : 'policy', SymbolKind.Package, decl, decl.name);
    case 'Import':
      return symbol(source, decl.path.value, 'import', SymbolKind.File, decl, decl.path);
    case 'Enum':
      return symbol(
        source,
        decl.name.name,
        'enum',
        SymbolKind.Enum,
        decl,
        decl.name,
        decl.members.map((m) => symbol(source, m.name, '', SymbolKind.EnumMember, m, m)),
      );
    case 'Input':
      return symbol(
        source,
        'input',
        `${decl.fields.length} fields`,
        SymbolKind.Struct,
        decl,
        { span: { start: decl.span.start, end: decl.span.start + 5 } },
        decl.fields.map((f) => symbol(source, f.name.name, source.slice(f.type.span), SymbolKind.Field, f, f.name)),
      );
    case 'ModelDecl':
      return symbol(
        source,
        decl.name.name,
        'model',
        SymbolKind.Class,
        decl,
        decl.name,
        decl.properties.map((p) => symbol(source, p.key.name, source.slice(p.value.span), SymbolKind.Property, p, p.key)),
      );
    case 'ToolDecl':
      return symbol(source, decl.name.name, 'tool', SymbolKind.Function, decl, decl.name);
    case 'ProviderDecl':
      return symbol(
        source,
        decl.name.name,
        'provider',
        SymbolKind.Interface,
        decl,
        decl.name,
        decl.properties.map((p) => symbol(source, p.key.name, source.slice(p.value.span), SymbolKind.Property, p, p.key)),
      );
    case 'ValidatorDecl':
      return symbol(source, decl.name.name, 'validator', SymbolKind.Method, decl, decl.name);
    case 'ClassifierDecl':
      return symbol(source, decl.name.name, `classifier on ${decl.target.name}`, SymbolKind.Function, decl, decl.name);
    case 'RouteDecl':
      return symbol(
        source,
        decl.name?.name ?? 'route',
        decl.name ? 'route' : 'entry route',
        SymbolKind.Namespace,
        decl,
        decl.name ?? { span: decl.keyword },
        decl.rules.map((r) =>
          symbol(
            source,
            r.label ? `"${r.label.value}"` : r.condition ? `when ${oneLine(source.slice(r.condition.span))}` : 'otherwise',
            `-> ${oneLine(source.slice(r.plan.span))}`,
            SymbolKind.Event,
            r,
            r,
          ),
        ),
      );
    case 'AssertDecl':
      return symbol(
        source,
        decl.label ? `"${decl.label.value}"` : oneLine(source.slice(decl.expr.span)),
        'assert',
        SymbolKind.Boolean,
        decl,
        decl.label ?? decl.expr,
      );
    case 'BudgetDecl':
      return symbol(source, 'budget', decl.items.map((i) => i.key.name).join(', '), SymbolKind.Object, decl, {
        span: { start: decl.span.start, end: decl.span.start + 6 },
      });
    case 'TestDecl':
      return symbol(source, `"${decl.name.value}"`, 'test', SymbolKind.Method, decl, decl.name);
  }
}

function oneLine(text: string): string {
  const flat = text.replace(/\s+/g, ' ').trim();
  return flat.length > 60 ? `${flat.slice(0, 57)}…` : flat;
}

export function foldingRanges(workspace: Workspace, file: string): FoldingRange[] {
  const loaded = workspace.analysis(file).front.program.modules.get(file);
  if (!loaded) return [];
  const { source, module } = loaded;
  const out: FoldingRange[] = [];
  const fold = (span: { start: number; end: number }, kind?: FoldingRangeKind): void => {
    const start = source.position(span.start).line - 1;
    const end = source.position(Math.max(span.start, span.end - 1)).line - 1;
    if (end > start) out.push({ startLine: start, endLine: end, ...(kind ? { kind } : {}) });
  };
  for (const decl of module.declarations) fold(decl.span);
  for (const comment of foldableComments(module, source.text)) fold(comment, FoldingRangeKind.Comment);
  // Consecutive imports fold together.
  const imports = module.declarations.filter((d) => d.kind === 'Import');
  const [firstImport] = imports;
  const lastImport = imports[imports.length - 1];
  if (firstImport && lastImport && imports.length > 1) fold({ start: firstImport.span.start, end: lastImport.span.end }, FoldingRangeKind.Imports);
  return out;
}

/** Block comments, and runs of line comments on consecutive lines. */
function foldableComments(module: Module, text: string): { start: number; end: number }[] {
  const out: { start: number; end: number }[] = [];
  let run: { start: number; end: number } | undefined;
  for (const c of module.comments) {
    if (c.block) {
      out.push(c.span);
      continue;
    }
    // A line comment continues the run when only white space and one line break lie between.
    if (run && /^[ \t]*\r?\n[ \t]*$/.test(text.slice(run.end, c.span.start))) {
      run.end = c.span.end;
    } else {
      if (run) out.push(run);
      run = { ...c.span };
    }
  }
  if (run) out.push(run);
  return out;
}

/** The semantic token types, in legend order. */
export const TOKEN_TYPES = ['class', 'namespace', 'function', 'method', 'interface', 'enum', 'property', 'enumMember'] as const;
export const TOKEN_MODIFIERS = ['declaration'] as const;
const TYPE_OF: Record<string, number> = { model: 0, route: 1, tool: 2, validator: 3, classifier: 4, enum: 5, field: 6, member: 7 };

/** Semantic tokens: names coloured by what they resolve to (models, fields, enum members…). */
export function semanticTokens(workspace: Workspace, file: string): SemanticTokens {
  const analysis = workspace.analysis(file);
  const source = analysis.source(file);
  const builder = new SemanticTokensBuilder();
  if (!source) return builder.build();
  for (const o of analysis.index.inFile(file)) {
    const p = source.position(o.span.start);
    const type = TYPE_OF[o.kind];
    if (type === undefined) continue;
    builder.push(p.line - 1, p.column - 1, o.span.end - o.span.start, type, o.declaration ? 1 : 0);
  }
  return builder.build();
}
