// Hover: model cards, field types and defaults, enum members, tools, validators,
// classifiers, named routes, and for a rule its worst-case cost and the models it reaches.

import { describeType, dollars, type Policy, type Rule, type Span } from '@routelang/dsl';
import type { Hover, Position } from 'vscode-languageserver';
import { toOffset, toRange } from '../convert.js';
import type { RuleSummary } from '../rule-summary.js';
import type { Analysis, Workspace } from '../workspace.js';
import { occurrenceAt } from './navigation.js';

const count = (n: number): string => n.toLocaleString('en-US');
const perMillion = (perToken: number): string => `${dollars(perToken * 1e6)} / 1M`;
const duration = (ms: number): string => (ms >= 1000 && ms % 1000 === 0 ? `${ms / 1000} s` : `${ms} ms`);

export function hover(workspace: Workspace, file: string, position: Position): Hover | null {
  const found = occurrenceAt(workspace, file, position);
  const analysis = found?.analysis ?? workspace.analysis(file);
  const source = analysis.source(file);
  if (!source) return null;
  if (found) {
    const text = symbolCard(analysis, found.occurrence.key, (rule, ruleFile) => workspace.ruleSummary(file, ruleFile, rule.span.start));
    if (text) return { contents: { kind: 'markdown', value: text }, range: toRange(source, found.occurrence.span) };
  }
  const rule = ruleAt(analysis, file, toOffset(source, position));
  if (!rule) return null;
  return { contents: { kind: 'markdown', value: ruleCard(workspace.ruleSummary(file, file, rule.span.start), rule) }, range: toRange(source, rule.span) };
}

/** The rule whose text contains `offset`. */
export function ruleAt(analysis: Analysis, file: string, offset: number): Rule | undefined {
  const module = analysis.front.program.modules.get(file)?.module;
  for (const decl of module?.declarations ?? []) {
    if (decl.kind !== 'RouteDecl' || offset < decl.span.start || offset > decl.span.end) continue;
    return decl.rules.find((r) => r.span.start <= offset && offset <= r.span.end);
  }
  return undefined;
}

export function ruleCard(summary: RuleSummary | undefined, rule: Rule): string {
  const head = rule.label ? `**rule** "${rule.label.value}"` : rule.condition ? '**rule**' : '**otherwise**';
  if (!summary) return `${head}\n\nNo request reaches this rule, or its analysis is not ready (the policy has errors, or is being analysed).`;
  const lines = [head, ''];
  lines.push(`worst case **${dollars(summary.worstCost)}** per request`);
  if (summary.breakdown.length > 0) lines.push('', ...summary.breakdown.map((p) => `- ${p}`));
  lines.push('', summary.models.length > 0 ? `can call: ${summary.models.map((m) => `\`${m}\``).join(', ')}` : 'calls no model');
  if (summary.denies) lines.push('', 'denies some requests');
  return lines.join('\n');
}

function where(analysis: Analysis, node: { span: Span }, file: string): string {
  const source = analysis.source(file);
  const line = source ? source.position(node.span.start).line : 0;
  return `\n\n*declared in ${file.split('/').pop()}:${line}*`;
}

/** The markdown card of a symbol. */
export function symbolCard(
  analysis: Analysis,
  key: string,
  summaryOf: (rule: Rule, file: string) => RuleSummary | undefined = () => undefined,
): string | undefined {
  const policy: Policy = analysis.front.policy;
  const [kind, ...rest] = key.split(':');
  const name = rest[rest.length - 1] ?? '';
  switch (kind) {
    case 'model': {
      const m = policy.models.get(name);
      if (!m) return undefined;
      const rows = [
        ['provider', `${m.provider}`],
        ['id', `\`${m.id}\``],
        ['price', `${perMillion(m.inputPrice)} input, ${perMillion(m.outputPrice)} output`],
        ['context', `${count(m.context)} tokens${m.maxOutput !== undefined ? ` (answers up to ${count(m.maxOutput)})` : ''}`],
        ['deployment', m.deployment],
        ['regions', m.regions.join(', ') || '—'],
        ['tags', m.tags.join(', ') || '—'],
      ];
      if (m.latencyMs !== undefined) rows.push(['latency', duration(m.latencyMs)]);
      return `**model** \`${m.name}\`\n\n| | |\n|---|---|\n${rows.map(([k, v]) => `| ${k} | ${v} |`).join('\n')}${where(analysis, m.node, m.file)}`;
    }
    case 'field': {
      const f = policy.fields.get(name);
      if (!f) return undefined;
      const parts = [`**field** \`${f.name}\`: ${describeType(f.type)}`];
      if (f.default !== undefined) parts.push(`default: \`${Array.isArray(f.default) ? `[${f.default.join(', ')}]` : String(f.default)}\``);
      else parts.push('required in every request');
      if (f.classifier) parts.push(`filled by classifier \`${f.classifier}\` when the request leaves it out`);
      if (f.type.kind === 'text') parts.push('parts: `.tokens` (counted by the tokenizer), `.chars`');
      return parts.join('\n\n') + where(analysis, f.node, f.file);
    }
    case 'enum': {
      const e = policy.enums.get(name);
      return e ? `**enum** \`${e.name}\`\n\nmembers: ${e.members.map((m) => `\`${m}\``).join(', ')}${where(analysis, e.node, e.file)}` : undefined;
    }
    case 'member': {
      const owner = rest.slice(0, -1).join(':');
      const ownerText = owner.startsWith('enum:') ? `enum \`${owner.slice(5)}\`` : `the inline enum of field \`${owner.slice(6)}\``;
      return `**member** \`${name}\` of ${ownerText}`;
    }
    case 'tool': {
      const t = policy.tools.get(name);
      if (!t) return undefined;
      const parts = [`**tool** \`${t.name}\` (${t.toolKind})`];
      if (t.timeoutMs !== undefined) parts.push(`timeout ${duration(t.timeoutMs)}`);
      if (t.cost !== undefined) parts.push(`${dollars(t.cost)} per call`);
      return parts.join('\n\n') + where(analysis, t.node, t.file);
    }
    case 'validator': {
      const v = policy.validators.get(name);
      if (!v) return undefined;
      const spec =
        v.spec.kind === 'extern'
          ? `extern \`${v.spec.name}\` (scored by the host)`
          : v.spec.kind === 'schema'
            ? `JSON Schema \`${v.spec.path.split('/').pop()}\``
            : `built-in \`${v.spec.kind}\``;
      return `**validator** \`${v.name}\`: ${spec}${where(analysis, v.node, v.file)}`;
    }
    case 'classifier': {
      const c = policy.classifiers.get(name);
      if (!c) return undefined;
      const how = c.extern ? `extern \`${c.extern}\`` : `labels: ${c.labels.map((l) => `\`${l.label}\``).join(', ')}`;
      return `**classifier** \`${c.name}\` reads \`${c.target}\`\n\n${how}${c.default ? `\n\ndefault: \`${c.default}\`` : ''}${where(analysis, c.node, c.file)}`;
    }
    case 'route': {
      const r = policy.routes.get(name);
      if (!r) return undefined;
      const models = new Set<string>();
      let worst = -1;
      for (const rule of r.node.rules) {
        const s = summaryOf(rule, r.file);
        if (!s) continue;
        worst = Math.max(worst, s.worstCost);
        for (const m of s.models) models.add(m);
      }
      const reach =
        worst >= 0 ? `\n\nworst case **${dollars(worst)}** per request; can call: ${[...models].map((m) => `\`${m}\``).join(', ') || 'no model'}` : '';
      return `**route** \`${name}\` (${r.node.rules.length} rules)${reach}${where(analysis, r.node, r.file)}`;
    }
    default:
      return undefined;
  }
}
