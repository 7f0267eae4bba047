// Checks the `input` block(s): field types, defaults and `from CLASSIFIER`, and the
// classifiers' fit with the fields they read and fill. Returns the field table.

import type * as A from '../ast.js';
import type { CheckContext } from './context.js';
import { closest, listNames } from './context.js';
import { uniqueMembers } from './declarations.js';
import type { ClassifierInfo, EnumInfo, FieldInfo, FieldValue } from './policy.js';
import type { Located } from './symbols.js';
import { describeType, isStringy, SCALAR_TYPES, T, type Type } from './types.js';
import { describeValue } from './values.js';

/** Resolves a written type. Unknown names are reported (RL2006) and become the error type. */
export function resolveType(ctx: CheckContext, file: string, type: A.TypeExpr, enums: ReadonlyMap<string, EnumInfo>): Type {
  if (type.kind === 'Error') return T.error;
  if (type.kind === 'InlineEnum') {
    const members = uniqueMembers(ctx, file, type.members, 'member');
    return { kind: 'enum', name: `{ ${members.join(', ')} }`, members };
  }
  const name = type.name.name;
  if (name === 'list') {
    const [arg, ...extra] = type.args;
    if (!arg || extra.length > 0) {
      ctx.report('RL2006', file, type, '`list` takes one element type, e.g. `list<string>`');
      return T.error;
    }
    const element = resolveType(ctx, file, arg, enums);
    if (element.kind !== 'enum' && element.kind !== 'string' && element.kind !== 'error') {
      ctx.report('RL2006', file, arg, `a list holds enum members or strings, not ${describeType(element)}`, { help: 'use `list<string>` or `list<SomeEnum>`' });
      return T.error;
    }
    return { kind: 'list', element };
  }
  if (type.args.length > 0) {
    ctx.report('RL2006', file, type, `\`${name}\` takes no type arguments`);
    return T.error;
  }
  const scalar = SCALAR_TYPES[name];
  if (scalar) return scalar;
  const declared = enums.get(name);
  if (declared) return { kind: 'enum', name, members: declared.members };
  ctx.reportUnknown(
    'RL2006',
    file,
    type.name,
    'type',
    [...Object.keys(SCALAR_TYPES), 'list', ...enums.keys()],
    'types are `bool`, `int`, `number`, `string`, `text`, `duration`, `money`, `tokens`, `percent`, `list<T>`, or an enum',
  );
  return T.error;
}

/**
 * Checks that a literal value has `type`, returning it as a plain value. `code` is RL2017
 * for defaults and RL2012 for test inputs.
 */
export function literalOfType(ctx: CheckContext, file: string, value: A.Value, type: Type, code: 'RL2017' | 'RL2012', what: string): FieldValue | undefined {
  if (type.kind === 'error' || value.kind === 'Error') return undefined;
  const mismatch = (): undefined => {
    ctx.report(code, file, value, `${what} has type ${describeType(type)}, but this is ${describeValue(value)}`, { help: exampleFor(type) });
    return undefined;
  };
  switch (type.kind) {
    case 'bool':
      return value.kind === 'Bool' ? value.value : mismatch();
    case 'string':
    case 'text':
      return value.kind === 'String' ? value.value : mismatch();
    case 'int':
    case 'tokens':
      if (value.kind !== 'Number' || (value.unit !== 'none' && value.unit !== 'count')) return mismatch();
      if (!Number.isInteger(value.value)) {
        ctx.report(code, file, value, `${what} has type ${describeType(type)}, which holds whole numbers, but this is \`${value.raw}\``);
        return undefined;
      }
      return value.value;
    case 'number':
      return value.kind === 'Number' && (value.unit === 'none' || value.unit === 'count') ? value.value : mismatch();
    case 'duration':
      return value.kind === 'Number' && value.unit === 'duration' ? value.value : mismatch();
    case 'percent':
      return value.kind === 'Number' && value.unit === 'percent' ? value.value : mismatch();
    case 'money':
      return value.kind === 'Money' && !value.per ? value.amount : mismatch();
    case 'enum':
      if (value.kind !== 'Symbol') return mismatch();
      return enumMember(ctx, file, value.name, type) ? value.name.name : undefined;
    case 'list': {
      if (value.kind !== 'List') return mismatch();
      const out: string[] = [];
      for (const item of value.items) {
        const v = literalOfType(ctx, file, item, type.element, code, `each item of ${what}`);
        if (typeof v === 'string') out.push(v);
      }
      return out;
    }
    default:
      return mismatch();
  }
}

/** Checks that `name` is a member of `type`, reporting RL2007 with a suggestion if not. */
export function enumMember(ctx: CheckContext, file: string, name: A.Ident, type: Type & { kind: 'enum' }): boolean {
  if (type.members.includes(name.name)) return true;
  const suggestion = closest(name.name, type.members);
  ctx.report('RL2007', file, name, `\`${name.name}\` is not a member of ${describeType(type)}${suggestion ? `; did you mean \`${suggestion}\`?` : ''}`, {
    help: `its members are ${listNames(type.members)}`,
    fix: suggestion ? { title: `change to \`${suggestion}\``, edits: [{ file, span: name.span, newText: suggestion }] } : undefined,
  });
  return false;
}

function exampleFor(type: Type): string {
  switch (type.kind) {
    case 'bool':
      return 'write `true` or `false`';
    case 'string':
    case 'text':
      return 'write a string in double quotes';
    case 'int':
    case 'tokens':
      return 'write a whole number such as `800` or `8k`';
    case 'number':
      return 'write a number such as `0.5`';
    case 'duration':
      return 'write a duration such as `5s` or `250ms`';
    case 'percent':
      return 'write a percentage such as `10%`';
    case 'money':
      return 'write an amount such as `$5`';
    case 'enum':
      return `write one of ${listNames(type.members)}`;
    case 'list':
      return 'write a list such as `[a, b]`';
    default:
      return "write a value of the field's type";
  }
}

/** Checks the input block(s) and the classifiers that fill fields. */
export function checkInputs(
  ctx: CheckContext,
  inputs: readonly Located<A.InputDecl>[],
  enums: ReadonlyMap<string, EnumInfo>,
  classifiers: ReadonlyMap<string, ClassifierInfo>,
  usedClassifiers: Set<string>,
): Map<string, FieldInfo> {
  const fields = new Map<string, FieldInfo>();
  for (const { node: input, file } of inputs) {
    for (const field of input.fields) {
      const name = field.name.name;
      if (name === '__proto__') {
        // A JavaScript object cannot hold this key as a field (it sets the prototype), so no
        // request could carry it; the runtime treats it as unknown. Refused here, consistently.
        ctx.report('RL2036', file, field.name, 'an input field cannot be named `__proto__`', {
          help: 'rename the field; requests are JSON objects, in which `__proto__` is not an ordinary key',
        });
        continue;
      }
      const first = fields.get(name);
      if (first) {
        ctx.report('RL2011', file, field.name, `input field \`${name}\` is declared twice`, {
          help: 'remove one of them',
          related: [{ file: first.file, span: first.node.name.span, message: 'first declaration' }],
        });
        continue;
      }
      const type = resolveType(ctx, file, field.type, enums);
      const def = field.default ? literalOfType(ctx, file, field.default, type, 'RL2017', `the default of \`${name}\``) : undefined;
      let classifier: string | undefined;
      if (field.from) {
        const c = classifiers.get(field.from.name);
        if (!c) {
          ctx.reportUnknown('RL2005', file, field.from, 'classifier', classifiers.keys());
        } else {
          usedClassifiers.add(c.name);
          classifier = c.name;
          if (type.kind !== 'enum' && type.kind !== 'error') {
            ctx.report('RL2025', file, field.from, `a classifier fills an enum field, but \`${name}\` has type ${describeType(type)}`, {
              help: "declare the field as an enum of the classifier's labels",
            });
          } else if (type.kind === 'enum') {
            for (const label of c.node.labels) {
              if (!type.members.includes(label.label.name)) {
                ctx.report(
                  'RL2025',
                  c.file,
                  label.label,
                  `label \`${label.label.name}\` of classifier \`${c.name}\` is not a member of \`${name}\` (${listNames(type.members)})`,
                  {
                    help: `add \`${label.label.name}\` to the enum, or rename the label`,
                    related: [{ file, span: field.span, message: `\`${name}\` is filled by \`${c.name}\`` }],
                  },
                );
              }
            }
            if (c.node.default && !type.members.includes(c.node.default.name)) {
              ctx.report('RL2025', c.file, c.node.default, `default label \`${c.node.default.name}\` is not a member of \`${name}\``, {
                help: `use one of ${listNames(type.members)}`,
              });
            }
          }
        }
      }
      fields.set(name, {
        name,
        node: field,
        file,
        type,
        ...(def !== undefined ? { default: def } : {}),
        ...(classifier !== undefined ? { classifier } : {}),
      });
    }
  }
  // Each classifier reads a text field.
  for (const c of classifiers.values()) {
    const target = fields.get(c.target);
    if (!target) {
      ctx.reportUnknown('RL2001', c.file, c.node.target, 'field', fields.keys());
    } else if (!isStringy(target.type) && target.type.kind !== 'error') {
      ctx.report('RL2025', c.file, c.node.target, `classifier \`${c.name}\` reads \`${c.target}\`, which has type ${describeType(target.type)}, not text`, {
        help: 'classify a `text` or `string` field',
      });
    }
  }
  return fields;
}
