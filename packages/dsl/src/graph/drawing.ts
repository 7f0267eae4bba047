// The decision graphs as drawings: one picture per route, with a node per field test, an
// edge per group of regions that lead to the same child, and a box per deciding rule. The
// CLI prints them as Mermaid or DOT; the editor shows them as SVG (laid out here, in layers,
// so no drawing tool is needed).

import { planText } from '../analyze/plan-text.js';
import type { CompileResult } from '../compile.js';
import { FALSE, isRuleLeaf, leafRule } from './diagram.js';
import { describeRegions } from './variables.js';

export interface DrawingNode {
  readonly id: string;
  readonly label: string;
  readonly kind: 'test' | 'rule' | 'none';
}

export interface DrawingEdge {
  readonly from: string;
  readonly to: string;
  readonly label: string;
}

export interface RouteDrawing {
  readonly title: string;
  readonly nodes: readonly DrawingNode[];
  readonly edges: readonly DrawingEdge[];
}

/** The drawings of every compiled route (entry first). */
export function drawRoutes(result: CompileResult): RouteDrawing[] {
  const c = result.compilation;
  if (!c) return [];
  const out: RouteDrawing[] = [];
  let prefix = 0;
  for (const route of c.routes.values()) {
    const p = `r${prefix++}`;
    const id = (ref: number): string => (ref >= 0 ? `${p}n${ref}` : ref === FALSE ? `${p}none` : `${p}rule${leafRule(ref)}`);
    const leafLabel = (ref: number): string => {
      if (!isRuleLeaf(ref)) return 'no rule matches';
      const rule = route.rules[leafRule(ref)];
      if (!rule) return '?';
      const line = result.program.modules.get(route.info.file)?.source.position(rule.node.span.start).line ?? 1;
      return `line ${line}: ${planText(rule.plan)}`;
    };
    const nodes: DrawingNode[] = [];
    const edges: DrawingEdge[] = [];
    const leaves = new Set<number>();
    if (route.root < 0) leaves.add(route.root);
    for (const n of c.diagrams.reachable(route.root)) {
      const spec = c.diagrams.vars[c.diagrams.varOf(n)];
      nodes.push({ id: id(n), label: spec?.fieldKey ?? '?', kind: 'test' });
      for (const group of c.diagrams.edgeGroups(n)) {
        if (group.target < 0) leaves.add(group.target);
        edges.push({ from: id(n), to: id(group.target), label: spec ? describeRegions(spec, group.regions) : group.regions.join(' or ') });
      }
    }
    for (const l of leaves) nodes.push({ id: id(l), label: leafLabel(l), kind: isRuleLeaf(l) ? 'rule' : 'none' });
    out.push({ title: route.name === null ? 'entry route' : `route ${route.name}`, nodes, edges });
  }
  return out;
}

/** Mermaid flowchart text. */
export function toMermaid(drawings: readonly RouteDrawing[]): string {
  const esc = (text: string): string => text.replace(/"/g, '#quot;');
  const lines = ['flowchart TD'];
  drawings.forEach((d, i) => {
    lines.push(`  subgraph r${i}["${esc(d.title)}"]`);
    for (const n of d.nodes) lines.push(n.kind === 'test' ? `    ${n.id}{"${esc(n.label)}"}` : `    ${n.id}["${esc(n.label)}"]`);
    for (const e of d.edges) lines.push(`    ${e.from} -- "${esc(e.label)}" --> ${e.to}`);
    lines.push('  end');
  });
  return lines.join('\n');
}

/** Graphviz DOT text. */
export function toDot(drawings: readonly RouteDrawing[]): string {
  const lines = ['digraph routelang {', '  node [fontname="Helvetica"]; edge [fontname="Helvetica", fontsize=10];'];
  drawings.forEach((d, i) => {
    lines.push(`  subgraph cluster_r${i} {`, `    label=${JSON.stringify(d.title)};`);
    for (const n of d.nodes) lines.push(`    ${n.id} [shape=${n.kind === 'test' ? 'diamond' : 'box'}, label=${JSON.stringify(n.label)}];`);
    for (const e of d.edges) lines.push(`    ${e.from} -> ${e.to} [label=${JSON.stringify(e.label)}];`);
    lines.push('  }');
  });
  lines.push('}');
  return lines.join('\n');
}

/** Routes with more nodes than this are listed, not drawn: no one reads a bigger picture. */
export const MAX_DRAWN_NODES = 300;

const xml = (text: string): string => text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
const CHAR = 6.6;
const ROW = 110;
const truncate = (text: string, max: number): string => (text.length > max ? `${text.slice(0, max - 1)}…` : text);

/**
 * An SVG picture: each route laid out in layers (a node one layer below its deepest parent),
 * tests as diamonds, rules as boxes, edges labelled with their regions. Self-contained: no
 * script, no external resource, so a webview with a strict content policy can show it.
 */
export function toSvg(drawings: readonly RouteDrawing[]): string {
  const parts: string[] = [];
  let top = 20;
  let width = 400;
  for (const d of drawings) {
    parts.push(`<text x="20" y="${top + 14}" class="title">${xml(d.title)}</text>`);
    top += 34;
    if (d.nodes.length > MAX_DRAWN_NODES) {
      parts.push(`<text x="20" y="${top + 12}" class="note">${d.nodes.length} nodes: too many to draw; use \`routelang graph --format dot\`</text>`);
      top += 40;
      continue;
    }
    // Layers: longest path from the route's root (edges go from parents to children).
    const children = new Map<string, string[]>();
    const indegree = new Map<string, number>(d.nodes.map((n) => [n.id, 0]));
    for (const e of d.edges) {
      children.set(e.from, [...(children.get(e.from) ?? []), e.to]);
      indegree.set(e.to, (indegree.get(e.to) ?? 0) + 1);
    }
    const layer = new Map<string, number>();
    const queue = d.nodes.filter((n) => (indegree.get(n.id) ?? 0) === 0).map((n) => n.id);
    for (const id of queue) layer.set(id, 0);
    const remaining = new Map(indegree);
    while (queue.length > 0) {
      const id = queue.shift() as string;
      for (const child of children.get(id) ?? []) {
        layer.set(child, Math.max(layer.get(child) ?? 0, (layer.get(id) ?? 0) + 1));
        const left = (remaining.get(child) ?? 1) - 1;
        remaining.set(child, left);
        if (left === 0) queue.push(child);
      }
    }
    // Rules go on the bottom layer, so the picture reads top (tests) to bottom (outcomes).
    const depth = Math.max(0, ...[...layer.values()]);
    for (const n of d.nodes) if (n.kind !== 'test') layer.set(n.id, depth);
    const rows = new Map<number, (typeof d.nodes)[number][]>();
    for (const n of d.nodes) {
      const l = layer.get(n.id) ?? 0;
      rows.set(l, [...(rows.get(l) ?? []), n]);
    }
    const pos = new Map<string, { x: number; y: number; w: number }>();
    for (const [l, row] of [...rows].sort((a, b) => a[0] - b[0])) {
      let x = 20;
      for (const n of row) {
        const label = truncate(n.label, n.kind === 'test' ? 28 : 48);
        const w = Math.max(90, label.length * CHAR + 28);
        pos.set(n.id, { x: x + w / 2, y: top + l * ROW + 30, w });
        x += w + 30;
      }
      width = Math.max(width, x);
    }
    // Sibling edges put their labels at different heights, so they do not overprint.
    const siblings = new Map<string, number>();
    for (const e of d.edges) siblings.set(e.from, (siblings.get(e.from) ?? 0) + 1);
    const seen = new Map<string, number>();
    for (const e of d.edges) {
      const a = pos.get(e.from);
      const b = pos.get(e.to);
      if (!a || !b) continue;
      const label = truncate(e.label, 40);
      const i = seen.get(e.from) ?? 0;
      seen.set(e.from, i + 1);
      const n = siblings.get(e.from) ?? 1;
      const t = n === 1 ? 0.5 : 0.25 + (0.5 * i) / (n - 1);
      const mx = a.x + (b.x - a.x) * t;
      const my = a.y + 20 + (b.y - 18 - (a.y + 20)) * t;
      parts.push(`<line x1="${a.x}" y1="${a.y + 20}" x2="${b.x}" y2="${b.y - 18}" class="edge" marker-end="url(#arrow)"/>`);
      parts.push(`<text x="${mx + 4}" y="${my}" class="edge-label">${xml(label)}</text>`);
    }
    for (const n of d.nodes) {
      const p = pos.get(n.id);
      if (!p) continue;
      const label = truncate(n.label, n.kind === 'test' ? 28 : 48);
      if (n.kind === 'test') {
        const hw = p.w / 2;
        parts.push(`<polygon points="${p.x - hw},${p.y} ${p.x},${p.y - 20} ${p.x + hw},${p.y} ${p.x},${p.y + 20}" class="test"/>`);
      } else {
        parts.push(`<rect x="${p.x - p.w / 2}" y="${p.y - 18}" width="${p.w}" height="36" rx="6" class="${n.kind}"/>`);
      }
      parts.push(`<text x="${p.x}" y="${p.y + 4}" text-anchor="middle" class="label">${xml(label)}</text>`);
    }
    top += (depth + 1) * ROW + 30;
  }
  const style =
    '.title{font:600 15px sans-serif;fill:#333}.note{font:12px sans-serif;fill:#a33}.label{font:12px monospace;fill:#111}' +
    '.edge{stroke:#888;stroke-width:1.2}.edge-label{font:11px sans-serif;fill:#555}.test{fill:#e8f0fe;stroke:#4a76c9}' +
    '.rule{fill:#e6f4ea;stroke:#3c8d57}.none{fill:#fde8e8;stroke:#c0392b}';
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${Math.ceil(width)}" height="${Math.ceil(top)}" viewBox="0 0 ${Math.ceil(width)} ${Math.ceil(top)}" role="img">`,
    `<style>${style}</style>`,
    '<defs><marker id="arrow" viewBox="0 0 10 10" refX="10" refY="5" markerWidth="7" markerHeight="7" orient="auto"><path d="M0,0 L10,5 L0,10 z" fill="#888"/></marker></defs>',
    `<rect width="100%" height="100%" fill="#fff"/>`,
    ...parts,
    '</svg>',
  ].join('\n');
}
