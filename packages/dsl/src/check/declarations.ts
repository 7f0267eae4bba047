// Checks the catalogue declarations (enums, models, tools, validators, classifiers,
// budgets) and turns them into the normalised entries of the semantic model.

import { dirname, resolve as resolvePath } from 'node:path';
import type * as A from '../ast.js';
import type { CheckContext } from './context.js';
import { closest, listNames } from './context.js';
import type { BudgetInfo, ClassifierInfo, Deployment, EnumInfo, ModelInfo, ProviderInfo, ProviderValue, ToolInfo, ValidatorInfo } from './policy.js';
import type { Located } from './symbols.js';
import { reportMisplacedCall, ValueReader } from './values.js';

/** Reports keys given twice and keys not in `known`; returns the first value per key. */
export function propertyMap<P extends { key: A.Ident; value: A.Value }>(
  ctx: CheckContext,
  file: string,
  entries: readonly P[],
  known: readonly string[],
  where: string,
): Map<string, P> {
  const map = new Map<string, P>();
  for (const entry of entries) {
    const key = entry.key.name;
    if (!known.includes(key)) {
      const suggestion = closest(key, known);
      ctx.report('RL2008', file, entry.key, `${where} has no property \`${key}\`${suggestion ? `; did you mean \`${suggestion}\`?` : ''}`, {
        help: `${where} accepts ${listNames(known)}`,
        fix: suggestion ? { title: `change to \`${suggestion}\``, edits: [{ file, span: entry.key.span, newText: suggestion }] } : undefined,
      });
      continue;
    }
    const first = map.get(key);
    if (first) {
      ctx.report('RL2011', file, entry.key, `\`${key}\` is given twice`, {
        help: 'remove one of them',
        related: [{ file, span: first.key.span, message: `first \`${key}\`` }],
      });
      continue;
    }
    map.set(key, entry);
  }
  return map;
}

/** Reports a member listed twice; returns the members in order, without repeats. */
export function uniqueMembers(ctx: CheckContext, file: string, members: readonly A.Ident[], what: string): string[] {
  const seen = new Map<string, A.Ident>();
  for (const member of members) {
    const first = seen.get(member.name);
    if (first) {
      ctx.report('RL2011', file, member, `${what} \`${member.name}\` is listed twice`, {
        help: 'remove the repeat',
        related: [{ file, span: first.span, message: 'first listed here' }],
      });
    } else {
      seen.set(member.name, member);
    }
  }
  return [...seen.keys()];
}

export function checkEnum(ctx: CheckContext, { node, file }: Located<A.EnumDecl>): EnumInfo {
  return { name: node.name.name, node, file, members: uniqueMembers(ctx, file, node.members, 'member') };
}

export const MODEL_PROPERTIES = ['provider', 'id', 'price', 'context', 'max_output', 'deployment', 'regions', 'tags', 'latency'] as const;
const REQUIRED_MODEL_PROPERTIES = ['provider', 'id', 'price', 'context'] as const;
export const DEPLOYMENTS = ['cloud', 'on_prem'] as const;

export function checkModel(ctx: CheckContext, { node, file }: Located<A.ModelDecl>): ModelInfo {
  const read = new ValueReader(ctx, file);
  const props = propertyMap(ctx, file, node.properties, MODEL_PROPERTIES, `model \`${node.name.name}\``);
  const missing = REQUIRED_MODEL_PROPERTIES.filter((k) => !props.has(k));
  if (missing.length > 0) {
    ctx.report('RL2009', file, node.name, `model \`${node.name.name}\` needs ${listNames(missing, 'and')}`, {
      help: 'e.g. `provider = "openai"  id = "gpt-4o-mini"  price = { input: $0.15 per 1M, output: $0.60 per 1M }  context = 128k`',
    });
  }
  const value = (k: string): A.Value | undefined => props.get(k)?.value;
  let inputPrice = 0;
  let outputPrice = 0;
  const price = value('price');
  if (price) {
    if (price.kind !== 'Object') {
      read.pricePerToken(price, 'price'); // reports the shape
    } else {
      const parts = propertyMap(ctx, file, price.entries, ['input', 'output'], '`price`');
      for (const k of ['input', 'output'] as const) {
        const entry = parts.get(k);
        if (!entry) {
          ctx.report('RL2009', file, price, `\`price\` needs \`${k}\``, { help: 'e.g. `price = { input: $0.15 per 1M, output: $0.60 per 1M }`' });
          continue;
        }
        const perToken = read.pricePerToken(entry.value, `price.${k}`);
        if (perToken !== undefined) {
          if (k === 'input') inputPrice = perToken;
          else outputPrice = perToken;
        }
      }
    }
  }
  const provider = value('provider');
  const id = value('id');
  const context = value('context');
  const maxOutput = value('max_output');
  const deployment = value('deployment');
  const regions = value('regions');
  const tags = value('tags');
  const latency = value('latency');
  const info: ModelInfo = {
    name: node.name.name,
    node,
    file,
    provider: (provider && read.string(provider, 'provider')) ?? '',
    id: (id && read.string(id, 'id')) ?? '',
    inputPrice,
    outputPrice,
    context: (context && read.tokens(context, 'context')) ?? 0,
    deployment: ((deployment && read.symbol(deployment, 'deployment', DEPLOYMENTS)) ?? 'cloud') as Deployment,
    regions: (regions && read.names(regions, 'regions')) ?? [],
    tags: (tags && read.names(tags, 'tags')) ?? [],
  };
  const maxOut = maxOutput && read.tokens(maxOutput, 'max_output');
  const latencyMs = latency && read.duration(latency, 'latency');
  return { ...info, ...(maxOut !== undefined ? { maxOutput: maxOut } : {}), ...(latencyMs !== undefined ? { latencyMs } : {}) };
}

export const PROVIDER_PROPERTIES = ['protocol', 'base_url', 'api_key', 'headers'] as const;
export const PROTOCOLS = ['openai', 'anthropic'] as const;
/** Where each protocol is served when `base_url` is not given. */
export const DEFAULT_BASE_URLS: Readonly<Record<(typeof PROTOCOLS)[number], string>> = {
  openai: 'https://api.openai.com/v1',
  anthropic: 'https://api.anthropic.com/v1',
};
/** Headers that carry credentials: their values must come from `env(…)`. */
const SECRET_HEADER = /^(authorization|proxy-authorization|x-api-key|api-key|cookie)$|key|token|secret/i;

export function checkProvider(ctx: CheckContext, { node, file }: Located<A.ProviderDecl>): ProviderInfo {
  const read = new ValueReader(ctx, file);
  const where = `provider \`${node.name.name}\``;
  const props = propertyMap(ctx, file, node.properties, PROVIDER_PROPERTIES, where);
  const protocolProp = props.get('protocol');
  if (!protocolProp) {
    ctx.report('RL2009', file, node.name, `${where} needs a \`protocol\``, {
      help: `e.g. \`protocol = openai\` (OpenAI chat completions, also vLLM, Ollama, OpenRouter, Azure-style endpoints) or \`protocol = anthropic\` (Anthropic Messages)`,
    });
  }
  const protocol = ((protocolProp && read.symbol(protocolProp.value, 'protocol', PROTOCOLS)) ?? 'openai') as ProviderInfo['protocol'];
  const baseUrlProp = props.get('base_url');
  let baseUrl = DEFAULT_BASE_URLS[protocol];
  if (baseUrlProp) {
    const url = read.string(baseUrlProp.value, 'base_url');
    if (url !== undefined) {
      if (/^https?:\/\/[^\s/]+/.test(url)) baseUrl = url.replace(/\/+$/, '');
      else
        ctx.report('RL2024', file, baseUrlProp.value, `\`base_url\` must be an http(s) URL, found "${url}"`, {
          help: `e.g. \`base_url = "${DEFAULT_BASE_URLS[protocol]}"\``,
        });
    }
  }
  const apiKey = props.get('api_key');
  const apiKeyEnv = apiKey ? secret(ctx, file, apiKey.value, 'api_key', node.name.name) : undefined;
  const headers: Record<string, ProviderValue> = {};
  const headersProp = props.get('headers');
  if (headersProp) {
    const value = headersProp.value;
    if (value.kind !== 'Object') {
      read.string(value, 'headers'); // reports the shape
    } else {
      for (const entry of value.entries) {
        const name = entry.key.name;
        if (entry.value.kind === 'String' && SECRET_HEADER.test(name)) {
          secret(ctx, file, entry.value, `headers.${name}`, node.name.name);
        } else if (entry.value.kind === 'Call') {
          const env = secret(ctx, file, entry.value, `headers.${name}`, node.name.name);
          if (env !== undefined) headers[name] = { env };
        } else {
          const text = read.string(entry.value, `headers.${name}`);
          if (text !== undefined) headers[name] = { value: text };
        }
      }
    }
  }
  return { name: node.name.name, node, file, protocol, baseUrl, ...(apiKeyEnv !== undefined ? { apiKeyEnv } : {}), headers };
}

/** Once a policy declares providers, a model naming another one cannot be served without a host adapter (RL2038). */
export function reportUndeclaredProviders(ctx: CheckContext, models: ReadonlyMap<string, ModelInfo>, providers: ReadonlyMap<string, ProviderInfo>): void {
  for (const model of models.values()) {
    if (model.provider === '' || providers.has(model.provider)) continue;
    const value = model.node.properties.find((p) => p.key.name === 'provider')?.value;
    if (!value) continue;
    const suggestion = closest(model.provider, providers.keys());
    ctx.report(
      'RL2038',
      model.file,
      value,
      `model \`${model.name}\` is served by \`${model.provider}\`, which no \`provider\` declaration describes${suggestion ? `; did you mean \`${suggestion}\`?` : ''}`,
      {
        help: `declare \`provider ${model.provider} { protocol = openai  base_url = "…" }\`, or give a host adapter or \`--upstream ${model.provider}=URL\``,
        fix: suggestion ? { title: `change to "${suggestion}"`, edits: [{ file: model.file, span: value.span, newText: `"${suggestion}"` }] } : undefined,
      },
    );
  }
}

/** A secret: `env("NAME")` gives the variable's name; a literal is reported (RL2037), never kept. */
function secret(ctx: CheckContext, file: string, value: A.Value, key: string, provider: string): string | undefined {
  if (value.kind === 'Call') {
    if (value.callee.name !== 'env') {
      reportMisplacedCall(ctx, file, value);
      return undefined;
    }
    const name = value.argument.value;
    if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(name)) {
      ctx.report('RL2024', file, value.argument, `\`env(…)\` takes the name of an environment variable, found "${name}"`, {
        help: 'a variable name is letters, digits and `_`, e.g. `env("OPENAI_API_KEY")`',
      });
      return undefined;
    }
    return name;
  }
  if (value.kind === 'Error') return undefined;
  const suggested = `${provider.toUpperCase().replace(/[^A-Z0-9]+/g, '_')}_API_KEY`;
  ctx.report('RL2037', file, value, `\`${key}\` is a secret: read it from the environment, not the policy`, {
    help: `write \`${key.startsWith('headers.') ? '' : `${key} = `}env("${suggested}")\` and set ${suggested} where the policy is served`,
    fix: { title: `read it from \`env("${suggested}")\``, edits: [{ file, span: value.span, newText: `env("${suggested}")` }] },
  });
  return undefined;
}

export const TOOL_PROPERTIES = ['kind', 'timeout', 'cost'] as const;
export const TOOL_KINDS = ['search', 'database', 'rules', 'function'] as const;

export function checkTool(ctx: CheckContext, { node, file }: Located<A.ToolDecl>): ToolInfo {
  const read = new ValueReader(ctx, file);
  const props = propertyMap(ctx, file, node.properties, TOOL_PROPERTIES, `tool \`${node.name.name}\``);
  const kind = props.get('kind');
  if (!kind) {
    ctx.report('RL2009', file, node.name, `tool \`${node.name.name}\` needs a \`kind\``, {
      help: `e.g. \`kind = search\`; kinds are ${listNames(TOOL_KINDS)}`,
    });
  }
  const timeout = props.get('timeout');
  const cost = props.get('cost');
  const timeoutMs = timeout && read.duration(timeout.value, 'timeout');
  const costValue = cost && read.money(cost.value, 'cost');
  return {
    name: node.name.name,
    node,
    file,
    toolKind: (kind && read.symbol(kind.value, 'kind', TOOL_KINDS)) ?? 'function',
    ...(timeoutMs !== undefined ? { timeoutMs } : {}),
    ...(costValue !== undefined ? { cost: costValue } : {}),
  };
}

export const BUILTIN_VALIDATORS = ['json', 'not_empty'] as const;

export function checkValidator(ctx: CheckContext, { node, file }: Located<A.ValidatorDecl>): ValidatorInfo | undefined {
  const spec = node.spec;
  if (spec.kind === 'Error') return undefined;
  if (spec.kind === 'extern') return { name: node.name.name, node, file, spec: { kind: 'extern', name: spec.name.value } };
  if (spec.kind === 'schema') return { name: node.name.name, node, file, spec: { kind: 'schema', path: resolvePath(dirname(file), spec.path.value) } };
  const builtin = spec.name.name;
  if (builtin === 'json' || builtin === 'not_empty') return { name: node.name.name, node, file, spec: { kind: builtin } };
  const suggestion = closest(builtin, BUILTIN_VALIDATORS);
  ctx.report('RL2004', file, spec.name, `there is no built-in validator \`${builtin}\`${suggestion ? `; did you mean \`${suggestion}\`?` : ''}`, {
    help: 'a validator is `extern "host_fn"`, `schema "file.json"`, `json` or `not_empty`',
    fix: suggestion ? { title: `change to \`${suggestion}\``, edits: [{ file, span: spec.name.span, newText: suggestion }] } : undefined,
  });
  return undefined;
}

export function checkClassifier(ctx: CheckContext, { node, file }: Located<A.ClassifierDecl>): ClassifierInfo {
  const seen = new Map<string, A.Ident>();
  const labels: { label: string; examples: string[] }[] = [];
  for (const label of node.labels) {
    const first = seen.get(label.label.name);
    if (first) {
      ctx.report('RL2011', file, label.label, `label \`${label.label.name}\` is listed twice`, {
        help: 'merge the examples into one list',
        related: [{ file, span: first.span, message: 'first listed here' }],
      });
      continue;
    }
    seen.set(label.label.name, label.label);
    labels.push({ label: label.label.name, examples: label.examples.map((e) => e.value) });
  }
  if (!node.extern && !node.default) {
    ctx.report('RL2009', file, node.name, `classifier \`${node.name.name}\` needs a \`default: label\``, {
      help: 'the default label is used when no example matches',
    });
  }
  return {
    name: node.name.name,
    node,
    file,
    target: node.target.name,
    labels,
    ...(node.extern ? { extern: node.extern.value } : {}),
    ...(node.default ? { default: node.default.name } : {}),
  };
}

export const BUDGET_KEYS = ['per_request', 'per_tenant', 'per_shadow'] as const;

export function checkBudgets(ctx: CheckContext, budgets: readonly Located<A.BudgetDecl>[]): BudgetInfo | undefined {
  const [first, ...rest] = budgets;
  if (!first) return undefined;
  for (const extra of rest) {
    ctx.report('RL2010', extra.file, extra.node, 'a policy has one `budget` block', {
      help: 'merge the limits into the first `budget` block',
      related: [{ file: first.file, span: first.node.span, message: 'the first `budget` block' }],
    });
  }
  const { node, file } = first;
  const read = new ValueReader(ctx, file);
  const items = propertyMap(
    ctx,
    file,
    node.items.map((i) => ({ key: i.key, value: i.limit })),
    BUDGET_KEYS,
    '`budget`',
  );
  const perRequest = items.get('per_request');
  const perTenant = items.get('per_tenant');
  const perShadow = items.get('per_shadow');
  const perShadowValue = perShadow && read.money(perShadow.value, 'per_shadow');
  const perRequestValue = perRequest && read.money(perRequest.value, 'per_request');
  const perTenantValue = perTenant && read.moneyPerPeriod(perTenant.value, 'per_tenant');
  return {
    node,
    file,
    ...(perRequestValue !== undefined ? { perRequest: perRequestValue } : {}),
    ...(perTenantValue !== undefined ? { perTenant: perTenantValue } : {}),
    ...(perShadowValue !== undefined ? { perShadow: perShadowValue } : {}),
  };
}
