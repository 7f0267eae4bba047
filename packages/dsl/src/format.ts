// The formatter: source text in, canonical text out (AST → text, comments kept).
// Layout: one declaration per paragraph, one item per line inside blocks, two-space
// indent, runs of `key = value` / `name: type` lines aligned like gofmt does, the
// author's blank lines between items kept (at most one), the author's parentheses kept.
// A comment is never dropped: one inside a single-line item moves to the line above it.
// Files with syntax errors are not formatted.

import type * as A from './ast.js';
import { type Diagnostic, hasErrors } from './diagnostics.js';
import { parse } from './parser.js';

/** The formatter's answer: the formatted text, or the syntax errors that prevent formatting. */
export type FormatResult = { readonly ok: true; readonly text: string } | { readonly ok: false; readonly diagnostics: readonly Diagnostic[] };

/**
 * Formats a policy file.
 *
 * @example
 * format('route{otherwise->mini}').text === 'route {\n  otherwise -> mini\n}\n'
 */
export function format(text: string, file = '<input>'): FormatResult {
  const parsed = parse(text, file);
  if (hasErrors(parsed.diagnostics)) return { ok: false, diagnostics: parsed.diagnostics };
  return { ok: true, text: new Printer(text, parsed.module).print() };
}

const INDENT = '  ';

/** A line-level item inside a block: its span, and how it prints given the group's key width. */
interface Item {
  readonly span: { start: number; end: number };
  readonly key?: string;
  readonly render: (keyWidth: number) => string;
}

class Printer {
  private readonly out: string[] = [];
  private commentIndex = 0;
  private readonly comments: readonly A.Comment[];

  constructor(
    private readonly text: string,
    private readonly module: A.Module,
  ) {
    this.comments = [...module.comments].sort((a, b) => a.span.start - b.span.start);
  }

  print(): string {
    const decls = this.module.declarations;
    let previous: A.Declaration | undefined;
    for (const decl of decls) {
      if (previous) {
        const tight = isOneLiner(previous) && previous.kind === decl.kind && !this.gapBetween(previous.span.end, decl.span.start);
        if (!tight) this.out.push('');
      }
      this.declaration(decl);
      previous = decl;
    }
    this.leading(this.text.length + 1, '', previous !== undefined);
    while (this.out.length > 0 && this.out[this.out.length - 1] === '') this.out.pop();
    return this.out.length === 0 ? '' : `${this.out.join('\n')}\n`;
  }

  // ------------------------------------------------------------ comments

  /** Emits, on lines of their own, the comments that start before `offset`. */
  private leading(offset: number, indent: string, blankAllowed = true): void {
    let previousEnd: number | undefined;
    while (this.commentIndex < this.comments.length) {
      const comment = this.comments[this.commentIndex] as A.Comment;
      if (comment.span.start >= offset) break;
      if (previousEnd !== undefined && blankAllowed && this.blankBetween(previousEnd, comment.span.start)) this.out.push('');
      // A block comment's text is the author's: only its first line takes the indent.
      const [first = '', ...rest] = commentLines(comment);
      this.out.push(indent + first, ...rest);
      previousEnd = comment.span.end;
      this.commentIndex++;
    }
    if (previousEnd !== undefined && blankAllowed && this.blankBetween(previousEnd, offset) && offset <= this.text.length) this.out.push('');
  }

  /** Appends a comment that follows `end` on the same source line to the last output line. */
  private trailing(end: number): void {
    const comment = this.comments[this.commentIndex];
    if (!comment || comment.text.includes('\n')) return;
    const between = this.text.slice(end, comment.span.start);
    if (between.includes('\n') || between.trim() !== '') return;
    this.out[this.out.length - 1] += ` ${comment.text.trimEnd()}`;
    this.commentIndex++;
  }

  private blankBetween(from: number, to: number): boolean {
    if (to <= from) return false;
    return /\n[ \t\r]*\n/.test(this.text.slice(from, to));
  }

  // ------------------------------------------------------------ declarations

  private line(text: string, span: { start: number; end: number }, indent = ''): void {
    this.leading(span.end, indent);
    this.out.push(indent + text);
    this.trailing(span.end);
  }

  private block(header: string, span: { start: number; end: number }, items: readonly Item[]): void {
    this.leading(span.start, '');
    // A comment inside the header or right after `{` leads the first item instead.
    this.out.push(`${header} {`);
    this.items(items, INDENT);
    this.leading(span.end, INDENT);
    this.out.push('}');
    this.trailing(span.end);
  }

  /** Prints block items, keeping blank lines between them and aligning keys within runs. */
  private items(items: readonly Item[], indent: string): void {
    const groups: Item[][] = [];
    let previous: Item | undefined;
    for (const item of items) {
      const gap = previous ? this.gapBetween(previous.span.end, item.span.start) : false;
      if (!previous || gap) groups.push([]);
      (groups[groups.length - 1] as Item[]).push(item);
      previous = item;
    }
    groups.forEach((group, index) => {
      if (index > 0) this.out.push('');
      const width = Math.max(0, ...group.map((i) => i.key?.length ?? 0));
      for (const item of group) this.line(item.render(width), item.span, indent);
    });
  }

  /**
   * Whether the author left a blank line between two items: measured from the end of the
   * first item's line (past any trailing comment) to the second item or its first comment.
   */
  private gapBetween(previousEnd: number, nextStart: number): boolean {
    const newline = this.text.indexOf('\n', previousEnd);
    if (newline < 0 || newline >= nextStart) return false;
    return this.blankBetween(newline, this.firstCommentAfter(newline, nextStart));
  }

  private firstCommentAfter(from: number, to: number): number {
    for (let i = this.commentIndex; i < this.comments.length; i++) {
      const c = this.comments[i] as A.Comment;
      if (c.span.start >= to) break;
      if (c.span.start >= from) return c.span.start;
    }
    return to;
  }

  private declaration(decl: A.Declaration): void {
    switch (decl.kind) {
      case 'Policy':
        this.line(`policy ${decl.name.name}${decl.version ? ` version ${decl.version.raw}` : ''}`, decl.span);
        return;
      case 'Import':
        this.line(`import ${decl.path.raw}`, decl.span);
        return;
      case 'Enum':
        this.line(`enum ${decl.name.name} ${braceList(decl.members)}`, decl.span);
        return;
      case 'Input':
        this.block(
          'input',
          decl.span,
          decl.fields.map((f) => ({
            span: f.span,
            key: `${f.name.name}:`,
            render: (w) =>
              `${pad(`${f.name.name}:`, w)} ${typeText(f.type)}${f.default ? ` = ${valueText(f.default)}` : ''}${f.from ? ` from ${f.from.name}` : ''}`,
          })),
        );
        return;
      case 'ModelDecl':
      case 'ProviderDecl':
      case 'ToolDecl':
        this.block(`${DECLARATION_WORD[decl.kind]} ${decl.name.name}`, decl.span, decl.properties.map(propertyItem));
        return;
      case 'ValidatorDecl':
        this.line(`validator ${decl.name.name} = ${validatorText(decl.spec)}`, decl.span);
        return;
      case 'ClassifierDecl':
        if (decl.extern) {
          this.line(`classifier ${decl.name.name} on ${decl.target.name} = extern ${decl.extern.raw}`, decl.span);
          return;
        }
        this.block(`classifier ${decl.name.name} on ${decl.target.name}`, decl.span, classifierItems(decl));
        return;
      case 'RouteDecl':
        this.block(
          decl.name ? `route ${decl.name.name}` : 'route',
          decl.span,
          decl.rules.map((r) => ({ span: r.span, render: () => ruleLines(r, INDENT) })),
        );
        return;
      case 'AssertDecl':
        this.line(`assert ${decl.label ? `${decl.label.raw}: ` : ''}${exprText(decl.expr)}`, decl.span);
        return;
      case 'BudgetDecl':
        this.block(
          'budget',
          decl.span,
          decl.items.map((i) => ({ span: i.span, key: i.key.name, render: (w) => `${pad(i.key.name, w)} <= ${valueText(i.limit)}` })),
        );
        return;
      case 'TestDecl':
        this.block(`test ${decl.name.raw}`, decl.span, [
          { span: decl.given.span, render: () => `given ${valueText(decl.given)}` },
          ...decl.expectations.map((e) => ({ span: e.span, render: () => expectationText(e) })),
        ]);
        return;
    }
  }
}

function isOneLiner(decl: A.Declaration): boolean {
  return (
    decl.kind === 'Import' ||
    decl.kind === 'ValidatorDecl' ||
    decl.kind === 'AssertDecl' ||
    decl.kind === 'Enum' ||
    decl.kind === 'Policy' ||
    (decl.kind === 'ClassifierDecl' && decl.extern !== undefined)
  );
}

function commentLines(comment: A.Comment): string[] {
  if (!comment.block) return [comment.text.trimEnd()];
  return comment.text.split('\n').map((l) => l.trimEnd());
}

function pad(key: string, width: number): string {
  return key.padEnd(width);
}

function propertyItem(p: A.Property): Item {
  return { span: p.span, key: p.key.name, render: (w) => `${pad(p.key.name, w)} = ${valueText(p.value)}` };
}

function classifierItems(decl: A.ClassifierDecl): Item[] {
  const items: Item[] = decl.labels.map((l) => ({
    span: l.span,
    key: `${l.label.name}:`,
    render: (w: number) => `${pad(`${l.label.name}:`, w)} [${l.examples.map((e) => e.raw).join(', ')}]`,
  }));
  if (decl.default) {
    const def = decl.default;
    items.push({ span: def.span, key: 'default:', render: (w) => `${pad('default:', w)} ${def.name}` });
  }
  return items;
}

function braceList(members: readonly A.Ident[]): string {
  return members.length === 0 ? '{}' : `{ ${members.map((m) => m.name).join(', ')} }`;
}

function typeText(type: A.TypeExpr): string {
  switch (type.kind) {
    case 'Error':
      return '';
    case 'InlineEnum':
      return `enum ${braceList(type.members)}`;
    case 'NamedType':
      return type.args.length > 0 ? `${type.name.name}<${type.args.map(typeText).join(', ')}>` : type.name.name;
  }
}

function validatorText(spec: A.ValidatorDecl['spec']): string {
  switch (spec.kind) {
    case 'extern':
      return `extern ${spec.name.raw}`;
    case 'schema':
      return `schema ${spec.path.raw}`;
    case 'builtin':
      return spec.name.name;
    case 'Error':
      return '';
  }
}

const DECLARATION_WORD = { ModelDecl: 'model', ProviderDecl: 'provider', ToolDecl: 'tool' } as const;

/** Prints a value in canonical form. */
export function valueText(value: A.Value): string {
  switch (value.kind) {
    case 'String':
    case 'Number':
      return value.raw;
    case 'Money':
      return value.per ? `${value.raw} per ${value.per.kind === 'Number' ? value.per.raw : value.per.name}` : value.raw;
    case 'Bool':
      return value.value ? 'true' : 'false';
    case 'List':
      return `[${value.items.map(valueText).join(', ')}]`;
    case 'Object':
      return value.entries.length === 0 ? '{}' : `{ ${value.entries.map((e) => `${e.key.name}: ${valueText(e.value)}`).join(', ')} }`;
    case 'Symbol':
      return value.name.name;
    case 'Call':
      return `${value.callee.name}(${value.argument.raw})`;
    case 'Error':
      return '';
  }
}

/** Prints a condition in canonical form (the author's parentheses kept). */
export function exprText(expr: A.Expr): string {
  switch (expr.kind) {
    case 'Path':
      return expr.segments.map((s) => s.name).join('.');
    case 'Model':
      return ['model', ...expr.segments.map((s) => s.name)].join('.');
    case 'Literal':
      return valueText(expr.value);
    case 'Paren':
      return `(${exprText(expr.inner)})`;
    case 'Not':
      return `not ${exprText(expr.operand)}`;
    case 'And':
      return expr.operands.map(exprText).join(' and ');
    case 'Or':
      return expr.operands.map(exprText).join(' or ');
    case 'Implies':
      return `${exprText(expr.left)} implies ${exprText(expr.right)}`;
    case 'Compare':
      return `${exprText(expr.left)} ${expr.op} ${exprText(expr.right)}`;
    case 'In':
      return `${exprText(expr.left)} ${expr.negated ? 'not in' : 'in'} ${exprText(expr.right)}`;
    case 'Contains':
      return `${exprText(expr.left)} contains ${exprText(expr.right)}`;
    case 'Error':
      return '';
  }
}

function untilText(u: A.UntilClause): string {
  return `until ${u.validator.name} ${u.op} ${u.threshold.kind === 'Number' ? u.threshold.raw : ''}`;
}

/** Prints a plan in canonical form. */
export function planText(plan: A.Plan): string {
  switch (plan.kind) {
    case 'Ref':
      return plan.name.name;
    case 'ParenPlan':
      return `(${planText(plan.inner)})`;
    case 'With':
      return `${planText(plan.plan)} with ${valueText(plan.options)}`;
    case 'Fallback':
      return `${planText(plan.primary)} fallback ${planText(plan.secondary)}${plan.on ? ` on [${plan.on.map((o) => (o.kind === 'Number' ? o.raw : o.name)).join(', ')}]` : ''}`;
    case 'Cascade':
      return `cascade [${plan.steps.map(planText).join(', ')}] ${untilText(plan.until)}`;
    case 'Try':
      return `try ${plan.tool.name}${plan.until ? ` ${untilText(plan.until)}` : ''} else ${planText(plan.otherwise)}`;
    case 'Split':
      return `split by ${exprText(plan.field)} { ${plan.arms.map((a) => `${planText(a.plan)}: ${a.weight.kind === 'Number' ? a.weight.raw : ''}`).join(', ')} }`;
    case 'Shadow':
      return `${planText(plan.plan)} shadow ${plan.shadow.name} ${plan.share.raw}${plan.by ? ` by ${plan.by.name}` : ''}`;
    case 'Rollout':
      return `rollout ${plan.name.raw} by ${exprText(plan.field)} { ${rolloutEntries(plan).join(', ')} }`;
    case 'Choice':
      return `${plan.strategy} [${plan.candidates.map(planText).join(', ')}]${plan.by ? ` by ${plan.by.name}` : ''}`;
    case 'Deny':
      return `deny ${plan.reason.raw}`;
    case 'Error':
      return '';
  }
}

/** A rollout's arms then its settings, in the order written. */
function rolloutEntries(plan: A.RolloutPlan): string[] {
  return [...plan.arms.map((a) => `${a.role.name} -> ${planText(a.plan)}`), ...plan.properties.map((p) => `${p.key.name} = ${valueText(p.value)}`)];
}

/** Rules longer than this are broken where the language allows: a split prints one arm per line. */
export const LINE_WIDTH = 100;

/**
 * A rule as printed at `indent`: on one line when it fits in `LINE_WIDTH`, else with a split
 * plan's arms one per line (a split written over several lines stays so; one that no longer
 * needs to be folds back). Lines after the first carry their own indentation.
 */
function ruleLines(rule: A.Rule, indent: string): string {
  const one = ruleText(rule);
  const plan = rule.plan;
  if (indent.length + one.length <= LINE_WIDTH || (plan.kind !== 'Split' && plan.kind !== 'Rollout')) return one;
  const head = rule.condition ? `when ${exprText(rule.condition)}` : 'otherwise';
  if (plan.kind === 'Rollout') {
    const entries = rolloutEntries(plan)
      .map((e) => `${indent}${INDENT}${e}`)
      .join('\n');
    return `${head} -> rollout ${plan.name.raw} by ${exprText(plan.field)} {\n${entries}\n${indent}}${rule.label ? ` because ${rule.label.raw}` : ''}`;
  }
  const arms = plan.arms.map((a) => `${indent}${INDENT}${planText(a.plan)}: ${a.weight.kind === 'Number' ? a.weight.raw : ''}`).join(',\n');
  return `${head} -> split by ${exprText(plan.field)} {\n${arms}\n${indent}}${rule.label ? ` because ${rule.label.raw}` : ''}`;
}

function ruleText(rule: A.Rule): string {
  const head = rule.condition ? `when ${exprText(rule.condition)}` : 'otherwise';
  return `${head} -> ${planText(rule.plan)}${rule.label ? ` because ${rule.label.raw}` : ''}`;
}

function expectationText(e: A.Expectation): string {
  switch (e.kind) {
    case 'ExpectTarget':
      return `expect ${e.target.name}`;
    case 'ExpectDeny':
      return 'expect deny';
    case 'ExpectBecause':
      return `expect because ${e.label.raw}`;
    case 'ExpectPlan':
      return `expect plan ${planText(e.plan)}`;
  }
}
