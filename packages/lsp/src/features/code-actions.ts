// Quick fixes: the compiler's machine fixes (did-you-mean names), adding a missing enum
// member, adding a missing `otherwise`, and removing a rule that can never take effect.

import type { Diagnostic as RlDiagnostic, RouteDecl, SourceFile, Span } from '@routelang/dsl';
import { type CodeAction, CodeActionKind, type Range, type TextEdit } from 'vscode-languageserver';
import { toLspDiagnostic, toOffset, toRange } from '../convert.js';
import { pathToUri } from '../uri.js';
import type { Analysis, Workspace } from '../workspace.js';

export function codeActions(workspace: Workspace, file: string, range: Range): CodeAction[] {
  const analysis = workspace.analysis(file);
  const source = analysis.source(file);
  if (!source) return [];
  const start = toOffset(source, range.start);
  const end = toOffset(source, range.end);
  const sourceOf = (f: string): SourceFile | undefined => analysis.source(f);
  const out: CodeAction[] = [];
  for (const d of workspace.diagnostics(file)) {
    if (d.file !== file || d.span.end < start || d.span.start > end) continue;
    const lsp = toLspDiagnostic(d, sourceOf);
    const diagnostics = lsp ? [lsp] : [];
    const action = (title: string, edits: { file: string; span: Span; newText: string }[], preferred = false): void => {
      const changes: Record<string, TextEdit[]> = {};
      for (const e of edits) {
        const s = sourceOf(e.file);
        if (!s) return;
        const uri = pathToUri(e.file);
        changes[uri] ??= [];
        changes[uri].push({ range: toRange(s, e.span), newText: e.newText });
      }
      out.push({ title, kind: CodeActionKind.QuickFix, diagnostics, isPreferred: preferred, edit: { changes } });
    };
    if (d.fix) action(d.fix.title, [...d.fix.edits], true);
    if (d.code === 'RL2007') addMember(analysis, d, action);
    if (d.code === 'RL3003') addOtherwise(analysis, source, d, action);
    if (d.code === 'RL3001' || d.code === 'RL3002' || d.code === 'RL2023') removeRule(analysis, source, d, action);
  }
  return out;
}

type Action = (title: string, edits: { file: string; span: Span; newText: string }[], preferred?: boolean) => void;

/** `risk == severe` where `Risk` has no `severe`: add it to the enum. */
function addMember(analysis: Analysis, d: RlDiagnostic, action: Action): void {
  const unknown = analysis.index.unknownMembers.find((u) => u.file === d.file && u.span.start === d.span.start);
  if (!unknown) return;
  const policy = analysis.front.policy;
  let members: readonly { span: Span }[] = [];
  let file = '';
  let title = '';
  if (unknown.owner.startsWith('enum:')) {
    const e = policy.enums.get(unknown.owner.slice(5));
    if (!e) return;
    members = e.node.members;
    file = e.file;
    title = `add \`${unknown.name}\` to enum \`${e.name}\``;
  } else {
    const f = policy.fields.get(unknown.owner.slice(6));
    if (!f || f.node.type.kind !== 'InlineEnum') return;
    members = f.node.type.members;
    file = f.file;
    title = `add \`${unknown.name}\` to the members of \`${f.name}\``;
  }
  const lastMember = members[members.length - 1];
  if (!lastMember) return;
  action(title, [{ file, span: { start: lastMember.span.end, end: lastMember.span.end }, newText: `, ${unknown.name}` }]);
}

/** A route that leaves requests undecided: end it with `otherwise`. */
function addOtherwise(analysis: Analysis, source: SourceFile, d: RlDiagnostic, action: Action): void {
  const route = routeDecls(analysis, d.file).find((r) => r.keyword.start === d.span.start);
  const lastRule = route?.rules[route.rules.length - 1];
  if (!route || !lastRule) return;
  const line = source.position(lastRule.span.start).line;
  const indent = /^\s*/.exec(source.lineText(line))?.[0] ?? '  ';
  const at = { start: lastRule.span.end, end: lastRule.span.end };
  action(
    'add `otherwise -> deny "no rule matches"`',
    [{ file: d.file, span: at, newText: `\n${indent}otherwise -> deny "no rule matches this request"` }],
    true,
  );
  const cheapest = [...analysis.front.policy.models.values()].sort((a, b) => a.inputPrice + a.outputPrice - (b.inputPrice + b.outputPrice))[0];
  if (cheapest)
    action(`add \`otherwise -> ${cheapest.name}\` (the cheapest model)`, [{ file: d.file, span: at, newText: `\n${indent}otherwise -> ${cheapest.name}` }]);
}

/** A rule that never matches: delete its lines. */
function removeRule(analysis: Analysis, source: SourceFile, d: RlDiagnostic, action: Action): void {
  for (const route of routeDecls(analysis, d.file)) {
    const rule = route.rules.find((r) => r.span.start <= d.span.start && d.span.end <= r.span.end);
    if (!rule) continue;
    // Whole lines, when the rule has its lines to itself.
    const first = source.position(rule.span.start).line;
    const last = source.position(rule.span.end).line;
    const lineStart = source.lineStarts[first - 1] ?? rule.span.start;
    const nextLine = source.lineStarts[last] ?? source.text.length;
    const alone = source.text.slice(lineStart, rule.span.start).trim() === '' && source.text.slice(rule.span.end, nextLine).trim() === '';
    action('remove this rule, which never takes effect', [{ file: d.file, span: alone ? { start: lineStart, end: nextLine } : rule.span, newText: '' }]);
    return;
  }
}

function routeDecls(analysis: Analysis, file: string): RouteDecl[] {
  return (analysis.front.program.modules.get(file)?.module.declarations ?? []).filter((d): d is RouteDecl => d.kind === 'RouteDecl');
}
