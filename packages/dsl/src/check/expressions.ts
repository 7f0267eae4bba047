// Type checking of conditions and assertions (language.md §4–§5): every name resolves to
// an input field, a derived value, `model.*` (assertions only) or an enum member decided
// by the other side of a comparison; units must agree; conditions must be booleans.

import type * as A from '../ast.js';
import type { CheckContext } from './context.js';
import { closest, listNames } from './context.js';
import { DEPLOYMENTS } from './declarations.js';
import { enumMember } from './fields.js';
import type { FieldInfo, ModelInfo } from './policy.js';
import { describeType, equalityComparable, isStringy, moneyType, numberType, orderable, T, type Type } from './types.js';
import { reportMisplacedCall } from './values.js';

/** What an expression can see. */
export interface ExprScope {
  readonly file: string;
  readonly fields: ReadonlyMap<string, FieldInfo>;
  readonly models: ReadonlyMap<string, ModelInfo>;
  /** Inside `assert`: `model` is allowed. */
  readonly inAssert: boolean;
  /** Models named in `model == NAME`, for the unused-declaration check. */
  readonly usedModels: Set<string>;
}

const ANY_NAME: Type = { kind: 'symbol', name: '' };

/** The properties of `model` and their types. */
export const MODEL_EXPR_PROPERTIES: Readonly<Record<string, Type>> = {
  name: T.string,
  provider: T.string,
  id: T.string,
  context: T.tokens,
  max_output: T.tokens,
  deployment: { kind: 'enum', name: 'deployment', members: DEPLOYMENTS },
  regions: { kind: 'list', element: ANY_NAME },
  tags: { kind: 'list', element: ANY_NAME },
  latency: T.duration,
  price: T.error, // only through `.input` / `.output`
};

/** Derived parts of a `text` field. */
export const TEXT_PARTS: Readonly<Record<string, Type>> = { tokens: T.tokens, chars: T.int };

export class ExprChecker {
  constructor(
    private readonly ctx: CheckContext,
    private readonly scope: ExprScope,
  ) {}

  /** Checks a rule condition or an assertion: it must be a boolean. */
  condition(expr: A.Expr): void {
    this.requireBool(expr);
  }

  private requireBool(expr: A.Expr): void {
    const type = this.typeOf(expr);
    if (type.kind === 'symbol') {
      this.unknownField(expr);
    } else if (type.kind !== 'bool' && type.kind !== 'error') {
      const example = type.kind === 'enum' ? ` == ${type.members[0] ?? 'value'}` : type.kind === 'text' || type.kind === 'string' ? ' contains "word"' : ' > 0';
      this.ctx.report('RL2014', this.scope.file, expr, `this condition has type ${describeType(type)}, not \`bool\``, {
        help: `compare it with something, e.g. \`${sourceName(expr)}${example}\``,
      });
    }
  }

  private unknownField(expr: A.Expr): void {
    if (expr.kind !== 'Path') return;
    const first = expr.segments[0];
    if (!first) return;
    this.ctx.reportUnknown('RL2001', this.scope.file, first, 'field', this.scope.fields.keys(), undefined);
  }

  /** The type of an expression; problems are reported and yield the error type. */
  typeOf(expr: A.Expr): Type {
    switch (expr.kind) {
      case 'Error':
        return T.error;
      case 'Paren':
        return this.typeOf(expr.inner);
      case 'Literal':
        return this.literalType(expr.value);
      case 'Path':
        return this.pathType(expr);
      case 'Model':
        return this.modelType(expr);
      case 'Not':
        this.requireBool(expr.operand);
        return T.bool;
      case 'And':
      case 'Or':
        for (const operand of expr.operands) this.requireBool(operand);
        return T.bool;
      case 'Implies':
        this.requireBool(expr.left);
        this.requireBool(expr.right);
        return T.bool;
      case 'Compare':
        this.compare(expr);
        return T.bool;
      case 'In':
        this.membership(expr);
        return T.bool;
      case 'Contains': {
        const left = this.typeOf(expr.left);
        const right = this.typeOf(expr.right);
        if (left.kind === 'symbol') this.unknownField(expr.left);
        else if (!isStringy(left) && left.kind !== 'error') {
          this.ctx.report('RL2013', this.scope.file, expr.left, `\`contains\` needs text or a string, but this is ${describeType(left)}`, {
            help: 'use `==` or `in [...]` for other values',
          });
        }
        if (right.kind === 'symbol') this.unknownField(expr.right);
        else if (!isStringy(right) && right.kind !== 'error') {
          this.ctx.report('RL2012', this.scope.file, expr.right, `\`contains\` looks for a string, but this is ${describeType(right)}`, {
            help: 'write the text to look for in double quotes',
          });
        }
        return T.bool;
      }
    }
  }

  private literalType(value: A.LiteralExpr['value']): Type {
    switch (value.kind) {
      case 'String':
        return T.string;
      case 'Number':
        return numberType(value);
      case 'Money':
        if (value.per) {
          this.ctx.report('RL2012', this.scope.file, value, 'a price (`per …`) cannot be compared in a condition', { help: 'compare an amount such as `$5`' });
          return T.error;
        }
        return moneyType(value);
      case 'Bool':
        return T.bool;
      case 'List': {
        let element: Type | undefined;
        for (const item of value.items) {
          const t = this.valueType(item);
          element ??= t;
        }
        return { kind: 'list', element: element ?? T.error };
      }
    }
  }

  private valueType(value: A.Value): Type {
    switch (value.kind) {
      case 'Symbol':
        return { kind: 'symbol', name: value.name.name };
      case 'String':
      case 'Number':
      case 'Money':
      case 'Bool':
      case 'List':
        return this.literalType(value);
      case 'Object':
        this.ctx.report('RL2012', this.scope.file, value, 'an object cannot be used in a condition');
        return T.error;
      case 'Call':
        reportMisplacedCall(this.ctx, this.scope.file, value);
        return T.error;
      case 'Error':
        return T.error;
    }
  }

  private pathType(expr: A.PathExpr): Type {
    const [first, second, ...rest] = expr.segments;
    if (!first) return T.error;
    const field = this.scope.fields.get(first.name);
    if (!field) {
      if (second) {
        this.ctx.reportUnknown('RL2001', this.scope.file, first, 'field', this.scope.fields.keys());
        return T.error;
      }
      return { kind: 'symbol', name: first.name };
    }
    if (!second) return field.type;
    if (field.type.kind === 'error') return T.error;
    if (field.type.kind !== 'text') {
      this.ctx.report('RL2030', this.scope.file, second, `\`${first.name}\` has type ${describeType(field.type)}, which has no part \`${second.name}\``, {
        help: 'only `text` fields have parts: `.tokens` and `.chars`',
      });
      return T.error;
    }
    const part = TEXT_PARTS[second.name];
    if (!part) {
      const suggestion = closest(second.name, Object.keys(TEXT_PARTS));
      this.ctx.report('RL2030', this.scope.file, second, `text has no part \`${second.name}\`${suggestion ? `; did you mean \`${suggestion}\`?` : ''}`, {
        help: 'a `text` field has `.tokens` (counted by the tokenizer) and `.chars`',
        fix: suggestion ? { title: `change to \`${suggestion}\``, edits: [{ file: this.scope.file, span: second.span, newText: suggestion }] } : undefined,
      });
      return T.error;
    }
    if (rest[0]) {
      this.ctx.report('RL2030', this.scope.file, rest[0], `\`${first.name}.${second.name}\` is a number and has no parts`);
      return T.error;
    }
    return part;
  }

  private modelType(expr: A.ModelExpr): Type {
    if (!this.scope.inAssert) {
      this.ctx.report('RL2021', this.scope.file, expr, '`model` can only be used in an `assert`', {
        help: 'the route decides the model, so a rule condition cannot depend on it; state the property as an `assert`',
      });
      return T.error;
    }
    const [first, second, third] = expr.segments;
    if (!first) return T.model;
    const type = MODEL_EXPR_PROPERTIES[first.name];
    if (!type) {
      const suggestion = closest(first.name, Object.keys(MODEL_EXPR_PROPERTIES));
      this.ctx.report('RL2030', this.scope.file, first, `a model has no property \`${first.name}\`${suggestion ? `; did you mean \`${suggestion}\`?` : ''}`, {
        help: `model properties are ${listNames(Object.keys(MODEL_EXPR_PROPERTIES))}`,
        fix: suggestion ? { title: `change to \`${suggestion}\``, edits: [{ file: this.scope.file, span: first.span, newText: suggestion }] } : undefined,
      });
      return T.error;
    }
    if (first.name === 'price') {
      if (!second || (second.name !== 'input' && second.name !== 'output')) {
        this.ctx.report('RL2030', this.scope.file, second ?? first, 'use `model.price.input` or `model.price.output`', {
          help: 'prices are per token, for input and for output',
        });
        return T.error;
      }
      if (third) {
        this.ctx.report('RL2030', this.scope.file, third, `\`model.price.${second.name}\` has no parts`);
        return T.error;
      }
      return T.money;
    }
    if (second) {
      this.ctx.report('RL2030', this.scope.file, second, `\`model.${first.name}\` has no part \`${second.name}\``);
      return T.error;
    }
    return type;
  }

  /** Whether an expression reads a request field (as opposed to a constant or `model`). */
  private isField(expr: A.Expr): boolean {
    const e = expr.kind === 'Paren' ? expr.inner : expr;
    return e.kind === 'Path' && e.segments[0] !== undefined && this.scope.fields.has(e.segments[0].name);
  }

  private fieldComparison(expr: A.Expr): boolean {
    this.ctx.report('RL2034', this.scope.file, expr, 'a condition compares a field with a constant, not with another field', {
      help: 'decision graphs cut each field at constants; compare each field with a value, e.g. `a == x and b == x`',
    });
    return true;
  }

  private compare(expr: A.CompareExpr): void {
    if (this.isField(expr.left) && this.isField(expr.right) && this.fieldComparison(expr)) return;
    const left = this.typeOf(expr.left);
    const right = this.typeOf(expr.right);
    const ordering = expr.op !== '==' && expr.op !== '!=';
    if (!this.settleSymbols(expr.left, left, expr.right, right)) return;
    if (ordering) {
      if (!orderable(left, right)) {
        const [l, r] = [describeType(left), describeType(right)];
        if (dimensionless(left) || dimensionless(right)) {
          this.ctx.report('RL2013', this.scope.file, { span: expr.opSpan }, `\`${expr.op}\` does not apply to ${dimensionless(left) ? l : r}`, {
            help: 'ordering needs numbers, tokens, money, durations or percentages',
          });
        } else {
          this.ctx.report('RL2012', this.scope.file, expr, `cannot compare ${l} with ${r}`, { help: unitHelp(left, right) });
        }
      }
      return;
    }
    if (!equalityComparable(left, right)) {
      this.ctx.report('RL2012', this.scope.file, expr, `cannot compare ${describeType(left)} with ${describeType(right)}`, { help: unitHelp(left, right) });
    }
  }

  /**
   * Resolves bare names against the other side: an enum member of the other side's enum,
   * a model name for `model == NAME`, or otherwise an unknown field. Returns false when
   * a problem was reported (so no second message follows).
   */
  private settleSymbols(leftExpr: A.Expr, left: Type, rightExpr: A.Expr, right: Type): boolean {
    if (left.kind === 'symbol' && right.kind === 'symbol') {
      // `eu in model.regions`-style names compare freely with each other only inside lists.
      this.unknownField(leftExpr);
      return false;
    }
    if (left.kind === 'symbol') return this.settleSymbol(leftExpr, right, false);
    if (right.kind === 'symbol') return this.settleSymbol(rightExpr, left, true);
    return true;
  }

  private settleSymbol(symbolExpr: A.Expr, other: Type, isValueSide: boolean): boolean {
    if (symbolExpr.kind !== 'Path') return true;
    const name = symbolExpr.segments[0];
    if (!name) return true;
    if (other.kind === 'enum') return enumMember(this.ctx, this.scope.file, name, other);
    if (other.kind === 'model') return this.modelName(name);
    if (other.kind === 'error') return false;
    this.ctx.reportUnknown(
      'RL2001',
      this.scope.file,
      name,
      'field',
      this.scope.fields.keys(),
      isValueSide && isStringyOrList(other) ? `to compare with the text "${name.name}", write it in double quotes` : undefined,
    );
    return false;
  }

  private modelName(name: A.Ident): boolean {
    if (this.scope.models.has(name.name)) {
      this.scope.usedModels.add(name.name);
      return true;
    }
    this.ctx.reportUnknown('RL2002', this.scope.file, name, 'model', this.scope.models.keys());
    return false;
  }

  private membership(expr: A.InExpr): void {
    if (this.isField(expr.left) && this.isField(expr.right) && this.fieldComparison(expr)) return;
    const left = this.typeOf(expr.left);
    if (left.kind === 'symbol' && expr.right.kind === 'Literal' && expr.right.value.kind === 'List') {
      this.unknownField(expr.left);
      return;
    }
    if (expr.right.kind === 'Literal' && expr.right.value.kind === 'List') {
      for (const item of expr.right.value.items) this.memberItem(expr.left, left, item);
      return;
    }
    const right = this.typeOf(expr.right);
    if (right.kind === 'error') return;
    if (right.kind === 'symbol') {
      this.unknownField(expr.right);
      return;
    }
    if (right.kind !== 'list') {
      this.ctx.report('RL2013', this.scope.file, expr.right, `\`in\` needs a list, but this is ${describeType(right)}`, {
        help: 'write a list such as `[a, b]`, or a list field',
      });
      return;
    }
    const element = right.element;
    if (left.kind === 'symbol') {
      if (element.kind === 'enum') this.settleSymbol(expr.left, element, false);
      return; // a bare name in a list of names (`eu in model.regions`)
    }
    if (
      !equalityComparable(left, element.kind === 'symbol' ? ANY_NAME : element) ||
      (element.kind === 'symbol' && left.kind !== 'enum' && left.kind !== 'error')
    ) {
      this.ctx.report('RL2012', this.scope.file, expr, `cannot look for ${describeType(left)} in ${describeType(right)}`);
    }
  }

  private memberItem(leftExpr: A.Expr, left: Type, item: A.Value): void {
    const itemType = this.valueType(item);
    if (itemType.kind === 'symbol' && item.kind === 'Symbol') {
      if (left.kind === 'enum') enumMember(this.ctx, this.scope.file, item.name, left);
      else if (left.kind === 'model') this.modelName(item.name);
      else if (left.kind !== 'error') {
        this.ctx.report('RL2012', this.scope.file, item, `\`${item.name.name}\` is a name, but \`${sourceName(leftExpr)}\` has type ${describeType(left)}`, {
          help: isStringyOrList(left) ? `write the text in double quotes: "${item.name.name}"` : "use a value of the field's type",
        });
      }
      return;
    }
    if (!equalityComparable(left, itemType)) {
      this.ctx.report('RL2012', this.scope.file, item, `cannot compare ${describeType(left)} with ${describeType(itemType)}`, {
        help: unitHelp(left, itemType),
      });
    }
  }
}

function dimensionless(type: Type): boolean {
  return type.kind === 'bool' || type.kind === 'string' || type.kind === 'text' || type.kind === 'enum' || type.kind === 'list' || type.kind === 'model';
}

function isStringyOrList(type: Type): boolean {
  return isStringy(type) || (type.kind === 'list' && isStringy(type.element));
}

function unitHelp(a: Type, b: Type): string {
  const units: Record<string, string> = { tokens: '`8k`', int: '`8k`', number: '`0.5`', duration: '`2s`', money: '`$5`', percent: '`10%`' };
  const want = units[a.kind] ?? units[b.kind];
  return want ? `units are part of the type: compare with a value such as ${want}` : 'compare values of the same type';
}

function sourceName(expr: A.Expr): string {
  if (expr.kind === 'Path') return expr.segments.map((s) => s.name).join('.');
  if (expr.kind === 'Model') return ['model', ...expr.segments.map((s) => s.name)].join('.');
  return 'value';
}
