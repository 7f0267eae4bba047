// The symbol index: every place a checked policy declares or uses a name, across all of
// its files. A checked `Policy` in, a list of occurrences out; the language server answers
// go-to-definition, find-references, rename and document highlights from it.
// Names resolve by the checker's rules (language.md §3–§6): plans name models and routes,
// `try` names tools, `until`/`by` name validators, `from` names classifiers, and a bare name
// compared with an enum-typed field is a member of that field's enum.

import type * as A from './ast.js';
import type { FieldInfo, Policy } from './check/policy.js';
import type { Span } from './source.js';

/** What kind of thing a symbol is. */
export type SymbolKind = 'model' | 'route' | 'tool' | 'validator' | 'classifier' | 'enum' | 'field' | 'member';

/**
 * A symbol's identity, e.g. `model:mini`, `field:risk`, `member:enum:Risk:high`.
 * Members of an inline enum (`workflow: enum { a, b }`) belong to their field: `member:field:workflow:a`.
 */
export type SymbolKey = string;

/** One place a symbol's name is written. */
export interface Occurrence {
  readonly key: SymbolKey;
  readonly kind: SymbolKind;
  readonly name: string;
  readonly file: string;
  readonly span: Span;
  /** True where the symbol is declared. */
  readonly declaration: boolean;
}

/** The occurrences of one policy, with look-ups by position and by symbol. */
export class SymbolIndex {
  readonly occurrences: readonly Occurrence[];
  private readonly byKey = new Map<SymbolKey, Occurrence[]>();
  private readonly byFile = new Map<string, Occurrence[]>();

  /** Bare names compared with an enum-typed field that are not members of its enum (`owner` as in `SymbolKey`). */
  readonly unknownMembers: readonly { readonly owner: string; readonly name: string; readonly file: string; readonly span: Span }[];

  constructor(occurrences: readonly Occurrence[], unknownMembers: SymbolIndex['unknownMembers'] = []) {
    this.occurrences = occurrences;
    this.unknownMembers = unknownMembers;
    for (const o of occurrences) {
      push(this.byKey, o.key, o);
      push(this.byFile, o.file, o);
    }
    for (const list of this.byFile.values()) list.sort((a, b) => a.span.start - b.span.start);
  }

  /** The occurrence under `offset` in `file` (an offset at either end of the name counts). */
  at(file: string, offset: number): Occurrence | undefined {
    const list = this.byFile.get(file) ?? [];
    return list.find((o) => o.span.start <= offset && offset <= o.span.end);
  }

  /** Every occurrence of `key`, declarations first. */
  of(key: SymbolKey): readonly Occurrence[] {
    const list = this.byKey.get(key) ?? [];
    return [...list].sort((a, b) => Number(b.declaration) - Number(a.declaration));
  }

  /** Where `key` is declared. */
  declarationOf(key: SymbolKey): Occurrence | undefined {
    return (this.byKey.get(key) ?? []).find((o) => o.declaration);
  }

  /** The occurrences in one file, in text order. */
  inFile(file: string): readonly Occurrence[] {
    return this.byFile.get(file) ?? [];
  }
}

function push<K, V>(map: Map<K, V[]>, key: K, value: V): void {
  const list = map.get(key);
  if (list) list.push(value);
  else map.set(key, [value]);
}

/** The enum a field's values are members of (`enum:NAME` or, for an inline enum, `field:NAME`). */
function memberOwner(field: FieldInfo | undefined): string | undefined {
  if (!field) return undefined;
  let type: A.TypeExpr = field.node.type;
  if (type.kind === 'NamedType' && type.name.name === 'list' && type.args[0]) type = type.args[0];
  if (type.kind === 'InlineEnum') return `field:${field.name}`;
  if (type.kind === 'NamedType' && (field.type.kind === 'enum' || (field.type.kind === 'list' && field.type.element.kind === 'enum')))
    return `enum:${type.name.name}`;
  return undefined;
}

/**
 * Builds the symbol index of a checked policy. Names that do not resolve are left out
 * (the checker reports them); names in repaired declarations are indexed as far as they parsed.
 *
 * @example
 * const index = indexSymbols(checkPolicy('policy.route').policy);
 * index.of('model:mini').map((o) => o.span);
 */
export function indexSymbols(policy: Policy): SymbolIndex {
  const out: Occurrence[] = [];
  const unknown: { owner: string; name: string; file: string; span: Span }[] = [];
  const add = (kind: SymbolKind, key: SymbolKey, ident: A.Ident, file: string, declaration: boolean): void => {
    out.push({ key, kind, name: ident.name, file, span: ident.span, declaration });
  };
  const planName = (ident: A.Ident, file: string): void => {
    if (policy.models.has(ident.name)) add('model', `model:${ident.name}`, ident, file, false);
    else if (policy.routes.has(ident.name)) add('route', `route:${ident.name}`, ident, file, false);
  };
  const member = (owner: string | undefined, ident: A.Ident, file: string): void => {
    if (!owner) return;
    if (!membersOf(owner).includes(ident.name)) {
      unknown.push({ owner, name: ident.name, file, span: ident.span });
      return;
    }
    add('member', `member:${owner}:${ident.name}`, ident, file, false);
  };
  const membersOf = (owner: string): readonly string[] => {
    if (owner.startsWith('enum:')) return policy.enums.get(owner.slice(5))?.members ?? [];
    const field = policy.fields.get(owner.slice(6));
    return field?.type.kind === 'enum'
      ? field.type.members
      : field?.type.kind === 'list' && field.type.element.kind === 'enum'
        ? field.type.element.members
        : [];
  };
  const fieldRef = (ident: A.Ident | undefined, file: string): void => {
    if (ident && policy.fields.has(ident.name)) add('field', `field:${ident.name}`, ident, file, false);
  };
  const valueMembers = (owner: string | undefined, value: A.Value | undefined, file: string): void => {
    if (!value) return;
    if (value.kind === 'Symbol') member(owner, value.name, file);
    else if (value.kind === 'List') for (const item of value.items) valueMembers(owner, item, file);
  };

  /** The member owner of an expression that reads an enum-typed field. */
  const ownerOf = (expr: A.Expr): string | undefined => {
    if (expr.kind === 'Paren') return ownerOf(expr.inner);
    if (expr.kind !== 'Path' || expr.segments.length !== 1 || !expr.segments[0]) return undefined;
    return memberOwner(policy.fields.get(expr.segments[0].name));
  };
  /** Marks bare names on `side` as members of `owner`. */
  const sideMembers = (owner: string | undefined, side: A.Expr, file: string): void => {
    if (side.kind === 'Paren') sideMembers(owner, side.inner, file);
    else if (side.kind === 'Path' && side.segments.length === 1 && side.segments[0] && !policy.fields.has(side.segments[0].name))
      member(owner, side.segments[0], file);
    else if (side.kind === 'Literal' && side.value.kind === 'List') valueMembers(owner, side.value, file);
  };
  const expr = (e: A.Expr, file: string): void => {
    switch (e.kind) {
      case 'Path':
        fieldRef(e.segments[0], file);
        break;
      case 'Model':
        break;
      case 'Compare':
      case 'In':
      case 'Contains': {
        expr(e.left, file);
        expr(e.right, file);
        sideMembers(ownerOf(e.left), e.right, file);
        sideMembers(ownerOf(e.right), e.left, file);
        // `model == NAME` in an assertion names a model.
        if (e.kind === 'Compare' && e.left.kind === 'Model' && e.left.segments.length === 0 && e.right.kind === 'Path' && e.right.segments[0]) {
          planName(e.right.segments[0], file);
        }
        break;
      }
      case 'Not':
        expr(e.operand, file);
        break;
      case 'And':
      case 'Or':
        for (const o of e.operands) expr(o, file);
        break;
      case 'Implies':
        expr(e.left, file);
        expr(e.right, file);
        break;
      case 'Paren':
        expr(e.inner, file);
        break;
      case 'Literal':
      case 'Error':
        break;
    }
  };
  const until = (u: A.UntilClause | undefined, file: string): void => {
    if (u && policy.validators.has(u.validator.name)) add('validator', `validator:${u.validator.name}`, u.validator, file, false);
  };
  const plan = (p: A.Plan, file: string): void => {
    switch (p.kind) {
      case 'Ref':
        planName(p.name, file);
        break;
      case 'With':
        plan(p.plan, file);
        break;
      case 'Fallback':
        plan(p.primary, file);
        plan(p.secondary, file);
        break;
      case 'Cascade':
        for (const s of p.steps) plan(s, file);
        until(p.until, file);
        break;
      case 'Try':
        if (policy.tools.has(p.tool.name)) add('tool', `tool:${p.tool.name}`, p.tool, file, false);
        until(p.until, file);
        plan(p.otherwise, file);
        break;
      case 'Split':
        fieldRef(p.field.segments[0], file);
        for (const arm of p.arms) plan(arm.plan, file);
        break;
      case 'Shadow':
        plan(p.plan, file);
        if (policy.models.has(p.shadow.name)) add('model', `model:${p.shadow.name}`, p.shadow, file, false);
        if (p.by && policy.validators.has(p.by.name)) add('validator', `validator:${p.by.name}`, p.by, file, false);
        break;
      case 'Rollout': {
        fieldRef(p.field.segments[0], file);
        for (const arm of p.arms) plan(arm.plan, file);
        const metric = p.properties.find((q) => q.key.name === 'metric')?.value;
        if (metric?.kind === 'Symbol' && policy.validators.has(metric.name.name)) add('validator', `validator:${metric.name.name}`, metric.name, file, false);
        break;
      }
      case 'Choice':
        for (const c of p.candidates) plan(c, file);
        if (p.by && policy.validators.has(p.by.name)) add('validator', `validator:${p.by.name}`, p.by, file, false);
        break;
      case 'ParenPlan':
        plan(p.inner, file);
        break;
      case 'Deny':
      case 'Error':
        break;
    }
  };

  for (const loaded of policy.program.modules.values()) {
    const file = loaded.path;
    for (const decl of loaded.module.declarations) {
      switch (decl.kind) {
        case 'Enum':
          add('enum', `enum:${decl.name.name}`, decl.name, file, isDeclared(policy.enums.get(decl.name.name), decl));
          for (const m of decl.members) add('member', `member:enum:${decl.name.name}:${m.name}`, m, file, true);
          break;
        case 'Input':
          for (const field of decl.fields) {
            const info = policy.fields.get(field.name.name);
            add('field', `field:${field.name.name}`, field.name, file, info?.node === field);
            let type = field.type;
            if (type.kind === 'NamedType' && type.name.name === 'list' && type.args[0]) type = type.args[0];
            if (type.kind === 'NamedType' && policy.enums.has(type.name.name)) add('enum', `enum:${type.name.name}`, type.name, file, false);
            if (type.kind === 'InlineEnum' && info?.node === field) {
              for (const m of type.members) add('member', `member:field:${field.name.name}:${m.name}`, m, file, true);
            }
            valueMembers(memberOwner(info), field.default, file);
            if (field.from && policy.classifiers.has(field.from.name)) add('classifier', `classifier:${field.from.name}`, field.from, file, false);
          }
          break;
        case 'ModelDecl':
          add('model', `model:${decl.name.name}`, decl.name, file, isDeclared(policy.models.get(decl.name.name), decl));
          break;
        case 'ToolDecl':
          add('tool', `tool:${decl.name.name}`, decl.name, file, isDeclared(policy.tools.get(decl.name.name), decl));
          break;
        case 'ValidatorDecl':
          add('validator', `validator:${decl.name.name}`, decl.name, file, isDeclared(policy.validators.get(decl.name.name), decl));
          break;
        case 'ClassifierDecl': {
          add('classifier', `classifier:${decl.name.name}`, decl.name, file, isDeclared(policy.classifiers.get(decl.name.name), decl));
          fieldRef(decl.target, file);
          // Labels are members of the enum of the field the classifier fills.
          const filled = [...policy.fields.values()].find((f) => f.classifier === decl.name.name);
          const owner = memberOwner(filled);
          for (const label of decl.labels) member(owner, label.label, file);
          if (decl.default) member(owner, decl.default, file);
          break;
        }
        case 'RouteDecl':
          if (decl.name) add('route', `route:${decl.name.name}`, decl.name, file, policy.routes.get(decl.name.name)?.node === decl);
          for (const rule of decl.rules) {
            if (rule.condition) expr(rule.condition, file);
            plan(rule.plan, file);
          }
          break;
        case 'AssertDecl':
          expr(decl.expr, file);
          break;
        case 'TestDecl':
          for (const entry of decl.given.entries) {
            fieldRef(entry.key, file);
            valueMembers(memberOwner(policy.fields.get(entry.key.name)), entry.value, file);
          }
          for (const e of decl.expectations) {
            if (e.kind === 'ExpectTarget') {
              if (policy.models.has(e.target.name)) add('model', `model:${e.target.name}`, e.target, file, false);
              else if (policy.tools.has(e.target.name)) add('tool', `tool:${e.target.name}`, e.target, file, false);
            } else if (e.kind === 'ExpectPlan') {
              plan(e.plan, file);
            }
          }
          break;
        case 'Policy':
        case 'Import':
        case 'BudgetDecl':
          break;
      }
    }
  }
  return new SymbolIndex(out, unknown);
}

function isDeclared(info: { node: unknown } | undefined, decl: unknown): boolean {
  return info?.node === decl;
}
