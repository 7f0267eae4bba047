// `routelang graph FILE --format mermaid|dot`: the decision graphs, one per route, with
// each node's field, each edge's region and each leaf's rule.

import { planText } from '../analyze/plan-text.js';
import { compilePolicy } from '../compile.js';
import { hasErrors } from '../diagnostics.js';
import { FALSE, isRuleLeaf, leafRule } from '../graph/diagram.js';
import type { CommandIO } from './io.js';
import { renderText } from './render.js';

export function runGraph(file: string, format: 'mermaid' | 'dot', io: CommandIO): number {
  const result = compilePolicy(file);
  if (hasErrors(result.diagnostics) || !result.compilation) {
    io.err(renderText(result.diagnostics, (f) => result.program.modules.get(f)?.source, io.color));
    return 1;
  }
  const c = result.compilation;
  const lines: string[] =
    format === 'mermaid' ? ['flowchart TD'] : ['digraph routelang {', '  node [fontname="Helvetica"]; edge [fontname="Helvetica", fontsize=10];'];
  let prefix = 0;
  for (const route of c.routes.values()) {
    const p = `r${prefix++}`;
    const title = route.name === null ? 'entry route' : `route ${route.name}`;
    const nodes = c.diagrams.reachable(route.root);
    const id = (ref: number): string => (ref >= 0 ? `${p}n${ref}` : ref === FALSE ? `${p}none` : `${p}rule${leafRule(ref)}`);
    const leafLabel = (ref: number): string => {
      if (!isRuleLeaf(ref)) return 'no rule matches';
      const rule = route.rules[leafRule(ref)];
      if (!rule) return '?';
      const line = result.program.modules.get(route.info.file)?.source.position(rule.node.span.start).line ?? 1;
      return `line ${line}: ${planText(rule.plan)}`;
    };
    const leaves = new Set<number>();
    const body: string[] = [];
    if (route.root < 0) leaves.add(route.root);
    for (const n of nodes) {
      const spec = c.diagrams.vars[c.diagrams.varOf(n)];
      body.push(
        format === 'mermaid' ? `  ${id(n)}{"${esc(spec?.fieldKey ?? '?')}"}` : `  ${id(n)} [shape=diamond, label=${JSON.stringify(spec?.fieldKey ?? '?')}];`,
      );
      c.diagrams.kids(n).forEach((k, region) => {
        if (k < 0) leaves.add(k);
        const label = spec?.describe(region) ?? String(region);
        body.push(format === 'mermaid' ? `  ${id(n)} -- "${esc(label)}" --> ${id(k)}` : `  ${id(n)} -> ${id(k)} [label=${JSON.stringify(label)}];`);
      });
    }
    for (const l of leaves)
      body.push(format === 'mermaid' ? `  ${id(l)}["${esc(leafLabel(l))}"]` : `  ${id(l)} [shape=box, label=${JSON.stringify(leafLabel(l))}];`);
    if (format === 'mermaid') lines.push(`  subgraph ${p}["${esc(title)}"]`, ...body.map((b) => `  ${b}`), '  end');
    else lines.push(`  subgraph cluster_${p} {`, `    label=${JSON.stringify(title)};`, ...body.map((b) => `  ${b}`), '  }');
  }
  if (format === 'dot') lines.push('}');
  io.out(lines.join('\n'));
  return 0;
}

function esc(text: string): string {
  return text.replace(/"/g, '#quot;');
}
