// Reading property values: each `expect*` helper returns the normalised value, or reports
// what was wrong (RL2012 wrong type or unit, RL2024 out of range) and returns undefined.

import type * as A from '../ast.js';
import { type CheckContext, closest, listNames } from './context.js';

/** How a value reads in a message: "a duration", "a string"… */
export function describeValue(value: A.Value): string {
  switch (value.kind) {
    case 'String':
      return 'a string';
    case 'Number':
      return value.unit === 'duration' ? 'a duration' : value.unit === 'percent' ? 'a percentage' : 'a number';
    case 'Money':
      return value.per ? 'a price' : 'an amount of money';
    case 'Bool':
      return 'a boolean';
    case 'List':
      return 'a list';
    case 'Object':
      return 'an object';
    case 'Symbol':
      return `the name \`${value.name.name}\``;
    case 'Call':
      return `\`${value.callee.name}(…)\``;
    case 'Error':
      return 'an invalid value';
  }
}

export class ValueReader {
  constructor(
    private readonly ctx: CheckContext,
    private readonly file: string,
  ) {}

  private wrong(value: A.Value, key: string, expected: string): undefined {
    if (value.kind === 'Call') {
      reportMisplacedCall(this.ctx, this.file, value);
    } else if (value.kind !== 'Error') {
      this.ctx.report('RL2012', this.file, value, `\`${key}\` takes ${expected}, found ${describeValue(value)}`, { help: `write ${expected}` });
    }
    return undefined;
  }

  string(value: A.Value, key: string): string | undefined {
    return value.kind === 'String' ? value.value : this.wrong(value, key, 'a string such as "openai"');
  }

  /** A positive whole number of tokens: `800`, `8k`, `1M`. */
  tokens(value: A.Value, key: string): number | undefined {
    if (value.kind !== 'Number' || (value.unit !== 'none' && value.unit !== 'count')) return this.wrong(value, key, 'a token count such as `128k`');
    if (!Number.isInteger(value.value) || value.value <= 0) {
      this.ctx.report('RL2024', this.file, value, `\`${key}\` must be a positive whole number of tokens, found \`${value.raw}\``);
      return undefined;
    }
    return value.value;
  }

  /** A whole number within [min, max]. */
  integer(value: A.Value, key: string, min: number, max: number): number | undefined {
    if (value.kind !== 'Number' || value.unit !== 'none') return this.wrong(value, key, `a whole number from ${min} to ${max}`);
    if (!Number.isInteger(value.value) || value.value < min || value.value > max) {
      this.ctx.report('RL2024', this.file, value, `\`${key}\` must be a whole number from ${min} to ${max}, found \`${value.raw}\``);
      return undefined;
    }
    return value.value;
  }

  /** A positive duration, in milliseconds. */
  duration(value: A.Value, key: string): number | undefined {
    if (value.kind !== 'Number' || value.unit !== 'duration') return this.wrong(value, key, 'a duration such as `2s` or `250ms`');
    if (value.value <= 0) {
      this.ctx.report('RL2024', this.file, value, `\`${key}\` must be longer than zero`);
      return undefined;
    }
    return value.value;
  }

  /** An amount of money without `per`. */
  money(value: A.Value, key: string): number | undefined {
    if (value.kind !== 'Money' || value.per) return this.wrong(value, key, 'an amount of money such as `$5`');
    return value.amount;
  }

  /** A price per tokens (`$0.15 per 1M`), as dollars per token. */
  pricePerToken(value: A.Value, key: string): number | undefined {
    if (value.kind !== 'Money' || !value.per || value.per.kind !== 'Number') return this.wrong(value, key, 'a price per tokens such as `$0.15 per 1M`');
    const per = value.per;
    if (per.unit === 'duration' || per.unit === 'percent' || !Number.isInteger(per.value) || per.value <= 0) {
      this.ctx.report('RL2024', this.file, per, `a price is per a whole number of tokens, such as \`per 1M\` or \`per 1k\`, found \`per ${per.raw}\``);
      return undefined;
    }
    return value.amount / per.value;
  }

  /** An amount of money per day or per hour. */
  moneyPerPeriod(value: A.Value, key: string): { amount: number; period: 'day' | 'hour' } | undefined {
    if (value.kind !== 'Money' || !value.per || value.per.kind !== 'Ident') return this.wrong(value, key, 'an amount per period such as `$200 per day`');
    const period = value.per.name;
    if (period !== 'day' && period !== 'hour') {
      this.ctx.report('RL2024', this.file, value.per, `a budget period is \`day\` or \`hour\`, found \`${period}\``);
      return undefined;
    }
    return { amount: value.amount, period };
  }

  /** One of a fixed set of names. */
  symbol(value: A.Value, key: string, allowed: readonly string[]): string | undefined {
    if (value.kind !== 'Symbol') return this.wrong(value, key, `one of ${allowed.map((a) => `\`${a}\``).join(', ')}`);
    if (!allowed.includes(value.name.name)) {
      const suggestion = closest(value.name.name, allowed);
      this.ctx.report(
        'RL2024',
        this.file,
        value,
        `\`${key}\` is one of ${listNames(allowed)}, found \`${value.name.name}\`${suggestion ? `; did you mean \`${suggestion}\`?` : ''}`,
        {
          fix: suggestion ? { title: `change to \`${suggestion}\``, edits: [{ file: this.file, span: value.span, newText: suggestion }] } : undefined,
        },
      );
      return undefined;
    }
    return value.name.name;
  }

  /** A list of names or strings: `[us, eu]`, `["approved"]`. */
  names(value: A.Value, key: string): string[] | undefined {
    if (value.kind !== 'List') return this.wrong(value, key, 'a list of names such as `[us, eu]`');
    const out: string[] = [];
    for (const item of value.items) {
      if (item.kind === 'Symbol') out.push(item.name.name);
      else if (item.kind === 'String') out.push(item.value);
      else this.wrong(item, `${key}[…]`, 'a name');
    }
    return out;
  }
}

/** `env("…")` outside a provider's `api_key` or `headers`, or a call of anything but `env`. */
export function reportMisplacedCall(ctx: CheckContext, file: string, value: A.CallValue): void {
  if (value.callee.name !== 'env') {
    ctx.report('RL2039', file, value.callee, `there is no function \`${value.callee.name}\`; the only one is \`env("NAME")\``, {
      help: '`env("NAME")` reads a secret from the environment of the process that serves the policy',
    });
    return;
  }
  ctx.report('RL2039', file, value, "`env(…)` can only give a provider's `api_key` or a `headers` value", {
    help: 'secrets come from the environment where the policy is served; every other value is written in the policy',
  });
}
