// A multi-valued reduced ordered decision diagram (the ROBDD of hardware verifiers, with
// one child per region of a field instead of two). Nodes are hash-consed in a unique
// table, so equal functions are the same node; `and`/`or`/`not`/`ite` are memoised.
// Terminals: FALSE (-1, also "no rule matches"), TRUE (-2), and a leaf per rule (-3 - i).

import { compareValues, type Expr, type Graph, type Value, type Variable } from '@routelang/runtime';
import { orient } from './variables.js';

export const FALSE = -1;
export const TRUE = -2;
export const leaf = (rule: number): number => -3 - rule;
export const leafRule = (ref: number): number => -3 - ref;
export const isRuleLeaf = (ref: number): boolean => ref <= -3;

/** A variable with its regions' representative values (see variables.ts). */
export interface VarSpec {
  readonly variable: Variable;
  /** Representative value per region, for evaluating atoms; for contains/member: [false, true]. */
  readonly representatives: readonly Value[];
  /** The field's partition variable key (`prompt.tokens`), for grouping. */
  readonly fieldKey: string;
  /** A readable description of a region, for counterexamples and diffs. */
  describe(region: number): string;
}

function sameKids(a: readonly number[], b: readonly number[]): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/** Thrown (and caught by the compiler) when the diagrams grow past the limits. */
export class DiagramTooLarge extends Error {
  constructor(
    readonly nodes: number,
    readonly children: number,
  ) {
    super(`decision graph exceeds its limits (${nodes} nodes, ${children} edges)`);
  }
}

/** The builder: variables in order, the unique table, and the operations. */
export class Diagrams {
  private readonly nodeVar: number[] = [];
  private readonly nodeKids: number[][] = [];
  /** The unique table: a numeric hash of (variable, children) to the nodes with that hash. */
  private readonly unique = new Map<number, number[]>();
  private readonly memo = new Map<string, number>();
  /** Edges stored so far: memory grows with them, so they are limited too. */
  private edges = 0;
  /** Variable index by key (`prompt.tokens`, `prompt\0contains\0urgent`, …). */
  readonly index: ReadonlyMap<string, number>;

  constructor(
    readonly vars: readonly VarSpec[],
    keys: readonly string[],
    private readonly maxNodes = 500_000,
    private readonly maxEdges = 20_000_000,
  ) {
    this.index = new Map(keys.map((k, i) => [k, i]));
  }

  get size(): number {
    return this.nodeVar.length;
  }

  /** The variable a reference tests (terminals: +∞). */
  varOf(ref: number): number {
    return ref >= 0 ? (this.nodeVar[ref] as number) : Number.POSITIVE_INFINITY;
  }

  kids(ref: number): readonly number[] {
    return this.nodeKids[ref] as number[];
  }

  /** The unique node for (v, kids), or the shared child when all kids are equal. */
  mk(v: number, kids: number[]): number {
    const first = kids[0] as number;
    let same = true;
    // Hash the children as numbers (a string key would cost as much as a copy of them).
    let hash = Math.imul(v + 1, 0x9e3779b1);
    for (let i = 0; i < kids.length; i++) {
      const k = kids[i] as number;
      if (k !== first) same = false;
      hash = Math.imul(hash ^ (k + 0x7f4a7c15), 0x85ebca6b) ^ (hash >>> 13);
    }
    if (same) return first;
    const bucket = this.unique.get(hash);
    if (bucket) {
      for (const id of bucket) {
        if (this.nodeVar[id] === v && sameKids(this.nodeKids[id] as number[], kids)) return id;
      }
    }
    const id = this.nodeVar.length;
    this.edges += kids.length;
    if (id >= this.maxNodes || this.edges > this.maxEdges) throw new DiagramTooLarge(id, this.edges);
    this.nodeVar.push(v);
    this.nodeKids.push(kids);
    if (bucket) bucket.push(id);
    else this.unique.set(hash, [id]);
    return id;
  }

  private cofactor(ref: number, v: number, region: number): number {
    return this.varOf(ref) === v ? (this.kids(ref)[region] as number) : ref;
  }

  not(f: number): number {
    if (f === TRUE) return FALSE;
    if (f === FALSE) return TRUE;
    const key = `n:${f}`;
    const hit = this.memo.get(key);
    if (hit !== undefined) return hit;
    const r = this.mk(
      this.varOf(f),
      this.kids(f).map((k) => this.not(k)),
    );
    this.memo.set(key, r);
    return r;
  }

  and(f: number, g: number): number {
    return this.ite(f, g, FALSE);
  }

  or(f: number, g: number): number {
    return this.ite(f, TRUE, g);
  }

  /** If-then-else: `c` is a boolean diagram; `g` and `h` may end in rule leaves. */
  ite(c: number, g: number, h: number): number {
    if (c === TRUE) return g;
    if (c === FALSE) return h;
    if (g === h) return g;
    if (g === TRUE && h === FALSE) return c;
    const key = `${c}:${g}:${h}`;
    const hit = this.memo.get(key);
    if (hit !== undefined) return hit;
    const v = Math.min(this.varOf(c), this.varOf(g), this.varOf(h));
    const regions = (this.vars[v] as VarSpec).representatives.length;
    const kids: number[] = [];
    for (let r = 0; r < regions; r++) kids.push(this.ite(this.cofactor(c, v, r), this.cofactor(g, v, r), this.cofactor(h, v, r)));
    const result = this.mk(v, kids);
    this.memo.set(key, result);
    return result;
  }

  /** The boolean diagram of a condition (model properties already replaced by constants). */
  fromExpr(expr: Expr): number {
    switch (expr.kind) {
      case 'const':
        return expr.value ? TRUE : FALSE;
      case 'and':
        return expr.args.reduce((acc, a) => this.and(acc, this.fromExpr(a)), TRUE);
      case 'or':
        return expr.args.reduce((acc, a) => this.or(acc, this.fromExpr(a)), FALSE);
      case 'not':
        return this.not(this.fromExpr(expr.arg));
      case 'implies':
        return this.or(this.not(this.fromExpr(expr.left)), this.fromExpr(expr.right));
      case 'truthy':
        if (expr.operand.kind === 'value') return expr.operand.value === true ? TRUE : FALSE;
        if (expr.operand.kind !== 'field') return FALSE;
        return this.atomOver(expr.operand.path.join('.'), (rep) => rep === true);
      case 'compare': {
        const [field, value, op] = orient(expr.left, expr.right, expr.op);
        if (field && value !== undefined) return this.atomOver(field.join('.'), (rep) => compareValues(op, rep, value));
        if (expr.left.kind === 'value' && expr.right.kind === 'value') return compareValues(expr.op, expr.left.value, expr.right.value) ? TRUE : FALSE;
        return FALSE;
      }
      case 'contains': {
        if (expr.left.kind === 'value' && expr.right.kind === 'value') {
          return typeof expr.left.value === 'string' && typeof expr.right.value === 'string' && expr.left.value.includes(expr.right.value) ? TRUE : FALSE;
        }
        if (expr.left.kind !== 'field' || expr.right.kind !== 'value' || typeof expr.right.value !== 'string') return FALSE;
        const key = expr.left.path.join('.');
        const sub = expr.right.value;
        const atom = this.boolVar(`${key}\u0000contains\u0000${sub}`);
        // A string field compared with literals: on a literal's region the answer is known.
        const literalVar = this.index.get(key);
        if (literalVar === undefined) return atom;
        const spec = this.vars[literalVar] as VarSpec;
        if (spec.variable.kind !== 'literal') return atom;
        const literals = spec.variable.literals;
        return this.mk(literalVar, [...literals.map((l) => (l.includes(sub) ? TRUE : FALSE)), atom]);
      }
      case 'in': {
        const found = (l: Value, r: Value): boolean => Array.isArray(r) && !Array.isArray(l) && (r as Value[]).includes(l);
        if (expr.left.kind === 'value' && expr.right.kind === 'value') return found(expr.left.value, expr.right.value) !== expr.negated ? TRUE : FALSE;
        if (expr.left.kind === 'value' && expr.right.kind === 'field') {
          const atom = this.boolVar(`${expr.right.path.join('.')}\u0000member\u0000${String(expr.left.value)}`);
          return expr.negated ? this.not(atom) : atom;
        }
        if (expr.left.kind === 'field' && expr.right.kind === 'value' && Array.isArray(expr.right.value)) {
          const list = expr.right.value;
          const d = this.atomOver(expr.left.path.join('.'), (rep) => typeof rep === 'string' && list.includes(rep));
          return expr.negated ? this.not(d) : d;
        }
        return FALSE;
      }
    }
  }

  private boolVar(key: string): number {
    const v = this.index.get(key);
    return v === undefined ? FALSE : this.mk(v, [FALSE, TRUE]);
  }

  /** An atom over a field's partition variable: true on the regions where `test` holds. */
  private atomOver(key: string, test: (representative: Value) => boolean): number {
    const v = this.index.get(key);
    if (v === undefined) return FALSE;
    return this.mk(
      v,
      (this.vars[v] as VarSpec).representatives.map((rep) => (test(rep) ? TRUE : FALSE)),
    );
  }

  /**
   * The regions of variable `v` that some path of the boolean diagram `root` to TRUE allows
   * (every region, where a path does not test `v`).
   */
  possibleRegions(root: number, v: number): Set<number> {
    const regions = (this.vars[v] as VarSpec).representatives.length;
    const all = (): number[] => Array.from({ length: regions }, (_, i) => i);
    const out = new Set<number>();
    const toTrue = new Map<number, boolean>();
    const reachesTrue = (ref: number): boolean => {
      if (ref < 0) return ref === TRUE;
      const hit = toTrue.get(ref);
      if (hit !== undefined) return hit;
      const r = this.kids(ref).some(reachesTrue);
      toTrue.set(ref, r);
      return r;
    };
    const seen = new Set<number>();
    const visit = (ref: number): void => {
      if (out.size === regions || !reachesTrue(ref) || seen.has(ref)) return;
      seen.add(ref);
      const rv = this.varOf(ref);
      if (rv > v) {
        for (const r of all()) out.add(r);
        return;
      }
      const kids = this.kids(ref);
      if (rv === v) {
        kids.forEach((k, r) => {
          if (reachesTrue(k)) out.add(r);
        });
        return;
      }
      for (const k of kids) visit(k);
    };
    visit(root);
    return out;
  }

  /** The boolean diagram "variable `v` is in region `r`". */
  regionIs(v: number, r: number): number {
    const regions = (this.vars[v] as VarSpec).representatives.length;
    return this.mk(
      v,
      Array.from({ length: regions }, (_, i) => (i === r ? TRUE : FALSE)),
    );
  }

  /** The boolean diagram "variable `v` is in region `r` or above". */
  regionAtLeast(v: number, r: number): number {
    const regions = (this.vars[v] as VarSpec).representatives.length;
    return this.mk(
      v,
      Array.from({ length: regions }, (_, i) => (i >= r ? TRUE : FALSE)),
    );
  }

  /** The boolean diagram of "`root` ends in a terminal `accept` holds for". */
  reaches(root: number, accept: (terminal: number) => boolean): number {
    const memo = new Map<number, number>();
    const go = (ref: number): number => {
      if (ref < 0) return accept(ref) ? TRUE : FALSE;
      const hit = memo.get(ref);
      if (hit !== undefined) return hit;
      const r = this.mk(this.varOf(ref), this.kids(ref).map(go));
      memo.set(ref, r);
      return r;
    };
    return go(root);
  }

  /** The nodes reachable from `root`. */
  reachable(root: number): number[] {
    const seen = new Set<number>();
    const stack = [root];
    while (stack.length > 0) {
      const ref = stack.pop() as number;
      if (ref < 0 || seen.has(ref)) continue;
      seen.add(ref);
      for (const k of this.kids(ref)) stack.push(k);
    }
    return [...seen].sort((a, b) => a - b);
  }

  /** The terminals reachable from `root`. */
  terminals(root: number): Set<number> {
    const out = new Set<number>();
    if (root < 0) out.add(root);
    for (const n of this.reachable(root)) for (const k of this.kids(n)) if (k < 0) out.add(k);
    return out;
  }

  /**
   * A path from `root` to a terminal accepted by `target`, as variable → region, whose
   * assignment `feasible` accepts; undefined when there is none.
   */
  witness(
    root: number,
    target: (terminal: number) => boolean,
    feasible: (assignment: ReadonlyMap<number, number>) => boolean = () => true,
  ): Map<number, number> | undefined {
    const canReach = new Map<number, boolean>();
    const reaches = (ref: number): boolean => {
      if (ref < 0) return target(ref);
      const hit = canReach.get(ref);
      if (hit !== undefined) return hit;
      const r = this.kids(ref).some(reaches);
      canReach.set(ref, r);
      return r;
    };
    const assignment = new Map<number, number>();
    let budget = 100_000; // backtracking steps over infeasible paths
    const search = (ref: number): boolean => {
      if (--budget < 0) return false;
      if (ref < 0) return target(ref) && feasible(assignment);
      const v = this.varOf(ref);
      const kids = this.kids(ref);
      for (let r = 0; r < kids.length; r++) {
        const k = kids[r] as number;
        if (!reaches(k)) continue;
        assignment.set(v, r);
        if (search(k)) return true;
      }
      assignment.delete(v);
      return false;
    };
    return search(root) ? assignment : undefined;
  }

  /** The diagram under `root` as IR: reachable nodes renumbered, rule leaves as -(2 + i). */
  toGraph(root: number): Graph {
    const nodes = this.reachable(root);
    const id = new Map(nodes.map((n, i) => [n, i]));
    const ref = (r: number): number => (r >= 0 ? (id.get(r) as number) : r === FALSE ? -1 : isRuleLeaf(r) ? -2 - leafRule(r) : -1);
    return {
      variables: this.vars.map((v) => v.variable),
      nodes: nodes.map((n) => ({ variable: this.varOf(n), children: this.kids(n).map(ref) })),
      root: ref(root),
    };
  }
}
