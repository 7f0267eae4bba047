// Walking a decision graph: each node tests one variable (the region of one field's
// value), so a decision costs one test per field on its path, whatever the number of rules.
// Variables are turned into region functions once, at load (closures, no code generation).

import type { Graph, Value, Variable } from './ir.js';
import type { NormalizedRequest } from './values.js';

/** The region of the request's value for one variable. */
export type RegionFn = (request: NormalizedRequest) => number;

/**
 * Compiles a variable into its region function. With `slots` (field name → index), the
 * field is resolved once here instead of by name on every read.
 */
export function regionFunction(variable: Variable, slots?: ReadonlyMap<string, number>): RegionFn {
  const slot = slots?.get(variable.field[0] as string);
  const part = variable.field[1];
  const path = variable.field;
  const read = (request: NormalizedRequest): Value | undefined => (slot === undefined ? request.read(path) : request.at(slot, part));
  const field = { read };
  switch (variable.kind) {
    case 'interval': {
      const ats = variable.bounds.map((b) => b.at);
      const inclusive = variable.bounds.map((b) => b.inclusive);
      return (request) => {
        const v = field.read(request);
        return typeof v === 'number' ? intervalRegion(ats, inclusive, v) : 0;
      };
    }
    case 'enum': {
      const index = new Map(variable.members.map((m, i) => [m, i]));
      return (request) => index.get(field.read(request) as string) ?? 0;
    }
    case 'bool':
      return (request) => (field.read(request) === true ? 1 : 0);
    case 'literal': {
      const index = new Map(variable.literals.map((l, i) => [l, i]));
      const other = variable.literals.length;
      return (request) => {
        const v = field.read(request);
        return typeof v === 'string' ? (index.get(v) ?? other) : other;
      };
    }
    case 'contains': {
      const sub = variable.substring;
      return (request) => {
        const v = field.read(request);
        return typeof v === 'string' && v.includes(sub) ? 1 : 0;
      };
    }
    case 'member': {
      const literal = variable.literal;
      return (request) => {
        const v = field.read(request);
        return Array.isArray(v) && v.includes(literal) ? 1 : 0;
      };
    }
  }
}

/**
 * The number of bounds `v` lies beyond: past `{at, inclusive: false}` when `v >= at`, past
 * `{at, inclusive: true}` when `v > at`. Bounds are sorted, so this is a binary search.
 */
export function intervalRegion(ats: readonly number[], inclusive: readonly boolean[], v: number): number {
  let lo = 0;
  let hi = ats.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    const at = ats[mid] as number;
    const beyond = inclusive[mid] ? v > at : v >= at;
    if (beyond) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** A graph ready to walk. */
export interface CompiledGraph {
  readonly regions: readonly RegionFn[];
  readonly nodeVariable: Int32Array;
  readonly childStart: Int32Array;
  readonly children: Int32Array;
  readonly root: number;
}

/** The number of regions (children per node) of a variable. */
export function regionCount(variable: Variable): number {
  switch (variable.kind) {
    case 'interval':
      return variable.bounds.length + 1;
    case 'enum':
      return variable.members.length;
    case 'literal':
      return variable.literals.length + 1;
    default:
      return 2;
  }
}

/**
 * What is wrong with a graph's structure (empty when nothing is): a walk must end, and every
 * index it follows must be in range — node and variable indices, rule leaves, one child per
 * region — and no node may lead back to itself (a node that is its own child, or any
 * longer loop, would make decide() spin). Linear in the graph. `where` prefixes each path.
 */
export function graphProblems(graph: Graph, rules: number, where: string): { path: string; message: string }[] {
  const out: { path: string; message: string }[] = [];
  const n = graph.nodes.length;
  const ref = (r: number, path: string): boolean => {
    if (r === -1 || (r <= -2 && -r - 2 < rules) || (r >= 0 && r < n)) return true;
    out.push({ path, message: r <= -2 ? `names rule ${-r - 2}, but the route has ${rules}` : `is node ${r}, but the graph has ${n} nodes` });
    return false;
  };
  ref(graph.root, `${where}/root`);
  const indegree = new Int32Array(n);
  graph.nodes.forEach((node, i) => {
    const variable = graph.variables[node.variable];
    if (!variable) out.push({ path: `${where}/nodes/${i}/variable`, message: `is ${node.variable}, but the graph has ${graph.variables.length} variables` });
    else if (node.children.length !== regionCount(variable)) {
      out.push({
        path: `${where}/nodes/${i}/children`,
        message: `has ${node.children.length} children, but its variable has ${regionCount(variable)} regions`,
      });
    }
    node.children.forEach((c, k) => {
      if (ref(c, `${where}/nodes/${i}/children/${k}`) && c >= 0) indegree[c] = (indegree[c] as number) + 1;
    });
  });
  if (out.length > 0) return out;
  // Kahn's algorithm: nodes never freed lie on a cycle.
  const ready: number[] = [];
  indegree.forEach((d, i) => {
    if (d === 0) ready.push(i);
  });
  let freed = 0;
  while (ready.length > 0) {
    const i = ready.pop() as number;
    freed++;
    for (const c of (graph.nodes[i] as { children: number[] }).children) {
      if (c >= 0) {
        indegree[c] = (indegree[c] as number) - 1;
        if (indegree[c] === 0) ready.push(c);
      }
    }
  }
  if (freed < n) {
    const on = indegree.findIndex((d) => d > 0);
    out.push({ path: `${where}/nodes/${on}`, message: `lies on a cycle (${n - freed} nodes lead back to themselves): a decision graph must be acyclic` });
  }
  return out;
}

export function compileGraph(graph: Graph, slots?: ReadonlyMap<string, number>): CompiledGraph {
  const nodeVariable = new Int32Array(graph.nodes.length);
  const childStart = new Int32Array(graph.nodes.length);
  const flat: number[] = [];
  graph.nodes.forEach((node, i) => {
    nodeVariable[i] = node.variable;
    childStart[i] = flat.length;
    flat.push(...node.children);
  });
  return { regions: graph.variables.map((v) => regionFunction(v, slots)), nodeVariable, childStart, children: Int32Array.from(flat), root: graph.root };
}

/** Walks the graph: -1 when no rule matches, otherwise the index of the deciding rule. */
export function walk(graph: CompiledGraph, request: NormalizedRequest): number {
  let ref = graph.root;
  while (ref >= 0) {
    const region = (graph.regions[graph.nodeVariable[ref] as number] as RegionFn)(request);
    ref = graph.children[(graph.childStart[ref] as number) + region] as number;
  }
  return ref === -1 ? -1 : -ref - 2;
}
