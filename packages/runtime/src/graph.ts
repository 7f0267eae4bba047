// Walking a decision graph: each node tests one variable (the region of one field's
// value), so a decision costs one test per field on its path, whatever the number of rules.
// Variables are turned into region functions once, at load (closures, no code generation).

import type { Graph, Value, Variable } from './ir.js';
import { MemberIndex } from './members.js';
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

/** How `walk` finds a variable's region without a call: by kind, from the value at its slot. */
enum Test {
  /** A derived value (`prompt.tokens`) or a field the request has no slot for: the region function. */
  Call = 0,
  Bool = 1,
  Enum = 2,
  Literal = 3,
  Interval = 4,
  Contains = 5,
  Member = 6,
}

/** A graph ready to walk. */
export interface CompiledGraph {
  /** Per variable: its region function (used for derived values, and by tools). */
  readonly regions: readonly RegionFn[];
  /** Per variable: how the walk tests it inline (a `Test`), the slot it reads (-1: none), and its data. */
  readonly tests: Int32Array;
  readonly slots: Int32Array;
  /** Enum and literal variables: a MemberIndex; intervals: the bounds; contains/member: the string. */
  readonly data: readonly (MemberIndex | { readonly ats: readonly number[]; readonly inclusive: readonly boolean[] } | string | undefined)[];
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
  const tests = new Int32Array(graph.variables.length);
  const slotOf = new Int32Array(graph.variables.length).fill(-1);
  const data: CompiledGraph['data'][number][] = [];
  graph.variables.forEach((v, i) => {
    const slot = v.field.length === 1 ? slots?.get(v.field[0] as string) : undefined;
    data.push(undefined);
    if (slot === undefined) return;
    slotOf[i] = slot;
    switch (v.kind) {
      case 'bool':
        tests[i] = Test.Bool;
        break;
      case 'enum':
        tests[i] = Test.Enum;
        data[i] = new MemberIndex(v.members);
        break;
      case 'literal':
        tests[i] = Test.Literal;
        data[i] = new MemberIndex(v.literals);
        break;
      case 'interval':
        tests[i] = Test.Interval;
        data[i] = { ats: v.bounds.map((b) => b.at), inclusive: v.bounds.map((b) => b.inclusive) };
        break;
      case 'contains':
        tests[i] = Test.Contains;
        data[i] = v.substring;
        break;
      case 'member':
        tests[i] = Test.Member;
        data[i] = v.literal;
        break;
    }
  });
  return {
    regions: graph.variables.map((v) => regionFunction(v, slots)),
    tests,
    slots: slotOf,
    data,
    nodeVariable,
    childStart,
    children: Int32Array.from(flat),
    root: graph.root,
  };
}

/**
 * Walks the graph: -1 when no rule matches, otherwise the index of the deciding rule. Each
 * node's variable is tested inline from a table (its kind, slot and data), with the same
 * regions as its region function; only derived values (`prompt.tokens`) take a call.
 */
export function walk(graph: CompiledGraph, request: NormalizedRequest): number {
  const values = request.fieldValues;
  const { tests, slots, data, nodeVariable, childStart, children } = graph;
  let ref = graph.root;
  while (ref >= 0) {
    const v = nodeVariable[ref] as number;
    const slot = slots[v] as number;
    const x = slot >= 0 ? values[slot] : undefined;
    let region: number;
    switch (tests[v]) {
      case Test.Bool:
        region = x === true ? 1 : 0;
        break;
      case Test.Enum: {
        const i = (data[v] as MemberIndex).indexOf(x);
        region = i < 0 ? 0 : i;
        break;
      }
      case Test.Literal: {
        const i = (data[v] as MemberIndex).indexOf(x);
        region = i < 0 ? (data[v] as MemberIndex).size : i;
        break;
      }
      case Test.Interval: {
        const b = data[v] as { readonly ats: readonly number[]; readonly inclusive: readonly boolean[] };
        region = typeof x === 'number' ? intervalRegion(b.ats, b.inclusive, x) : 0;
        break;
      }
      case Test.Contains:
        region = typeof x === 'string' && x.includes(data[v] as string) ? 1 : 0;
        break;
      case Test.Member:
        region = Array.isArray(x) && x.includes(data[v] as string) ? 1 : 0;
        break;
      default:
        region = (graph.regions[v] as RegionFn)(request);
    }
    ref = children[(childStart[ref] as number) + region] as number;
  }
  return ref === -1 ? -1 : -ref - 2;
}
