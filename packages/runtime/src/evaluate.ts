// Evaluates IR conditions on a normalised request (and, in assertions, a model). The
// decision graph makes the fast decision; this evaluator explains it rule by rule,
// re-checks assertions at run time, and is what the graph's regions are cut to agree with.

import type { Expr, Model, Operand, Value } from './ir.js';
import { type NormalizedRequest, readModel } from './values.js';

/** Resolves an operand to a value. */
export function operandValue(operand: Operand, request: NormalizedRequest, model: Model | undefined): Value | undefined {
  switch (operand.kind) {
    case 'value':
      return operand.value;
    case 'field':
      return request.read(operand.path);
    case 'model':
      return model ? readModel(model, operand.path) : undefined;
  }
}

/** Compares two values with one of the six operators (false when the types differ). */
export function compareValues(op: string, left: Value | undefined, right: Value | undefined): boolean {
  if (left === undefined || right === undefined) return false;
  if (op === '==') return valuesEqual(left, right);
  if (op === '!=') return !valuesEqual(left, right);
  if (typeof left !== 'number' || typeof right !== 'number') return false;
  switch (op) {
    case '<':
      return left < right;
    case '<=':
      return left <= right;
    case '>':
      return left > right;
    case '>=':
      return left >= right;
    default:
      return false;
  }
}

function valuesEqual(a: Value, b: Value): boolean {
  if (Array.isArray(a) || Array.isArray(b)) return false;
  return a === b;
}

/** Evaluates a condition. Never throws: a missing value makes a comparison false. */
export function evaluate(expr: Expr, request: NormalizedRequest, model?: Model): boolean {
  switch (expr.kind) {
    case 'const':
      return expr.value;
    case 'and':
      return expr.args.every((a) => evaluate(a, request, model));
    case 'or':
      return expr.args.some((a) => evaluate(a, request, model));
    case 'not':
      return !evaluate(expr.arg, request, model);
    case 'implies':
      return !evaluate(expr.left, request, model) || evaluate(expr.right, request, model);
    case 'truthy':
      return operandValue(expr.operand, request, model) === true;
    case 'compare':
      return compareValues(expr.op, operandValue(expr.left, request, model), operandValue(expr.right, request, model));
    case 'in': {
      const left = operandValue(expr.left, request, model);
      const right = operandValue(expr.right, request, model);
      const found = Array.isArray(right) && left !== undefined && !Array.isArray(left) && (right as Value[]).includes(left);
      return expr.negated ? !found : found;
    }
    case 'contains': {
      const left = operandValue(expr.left, request, model);
      const right = operandValue(expr.right, request, model);
      return typeof left === 'string' && typeof right === 'string' && left.includes(right);
    }
  }
}
