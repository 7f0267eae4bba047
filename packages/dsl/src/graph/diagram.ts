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

/** The most frequent child; ties go to the smallest reference (any fixed rule would do). */
function canonicalDefault(counts: ReadonlyMap<number, number>): number {
  let best = 0;
  let bestCount = -1;
  for (const [k, c] of counts) {
    if (c > bestCount || (c === bestCount && k < best)) {
      best = k;
      bestCount = c;
    }
  }
  return best;
}

/** The fields of a node's row in `Diagrams.nodes`. */
const NODE = 5;

/** No entry: references lie in (-2^22, 2^22) — nodes and rules are capped far below that. */
const NONE = 0x7fffffff;

/** Mixes up to three references into a 32-bit hash. */
function mix(a: number, b: number, c: number): number {
  let h = Math.imul(a + 0x27d4eb2f, 0x9e3779b1) ^ Math.imul(b + 0x7f4a7c15, 0x85ebca6b);
  h = Math.imul(h ^ (c + 0x165667b1), 0xc2b2ae35);
  return finish(h);
}

/** MurmurHash3's finaliser: every input bit reaches the low bits a table's mask keeps (linear probing clusters otherwise). */
function finish(h: number): number {
  h = Math.imul(h ^ (h >>> 16), 0x85ebca6b);
  h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35);
  return h ^ (h >>> 16);
}

/**
 * An exact memo from triples of references to a reference: open addressing over one typed
 * array (a, b, c, value: 16 bytes, four to a cache line), grown at three-quarters load. A
 * lookup allocates nothing — a `Map` keyed by a number past the small-integer range boxes
 * each key — and the table stays small: on this machine the first touch of fresh memory
 * costs about 4 ms per MB, more than the probing.
 */
class TripleMemo {
  private slots: Int32Array;
  private mask: number;
  private count = 0;

  constructor(bits = 10) {
    this.mask = (1 << bits) - 1;
    this.slots = new Int32Array((this.mask + 1) * 4).fill(NONE);
  }

  /** The value stored for (a, b, c), or NONE. */
  get(a: number, b: number, c: number): number {
    const slots = this.slots;
    for (let slot = mix(a, b, c) & this.mask; ; slot = (slot + 1) & this.mask) {
      const k = slot * 4;
      const ka = slots[k] as number;
      if (ka === NONE) return NONE;
      if (ka === a && slots[k + 1] === b && slots[k + 2] === c) return slots[k + 3] as number;
    }
  }

  set(a: number, b: number, c: number, value: number): void {
    if ((this.count + 1) * 4 > (this.mask + 1) * 3) this.grow();
    const slots = this.slots;
    for (let slot = mix(a, b, c) & this.mask; ; slot = (slot + 1) & this.mask) {
      const k = slot * 4;
      const ka = slots[k] as number;
      if (ka === NONE) {
        slots[k] = a;
        slots[k + 1] = b;
        slots[k + 2] = c;
        slots[k + 3] = value;
        this.count++;
        return;
      }
      if (ka === a && slots[k + 1] === b && slots[k + 2] === c) {
        slots[k + 3] = value;
        return;
      }
    }
  }

  private grow(): void {
    const old = this.slots;
    const mask = this.mask * 2 + 1;
    const into = new Int32Array((mask + 1) * 4).fill(NONE);
    for (let k = 0; k < old.length; k += 4) {
      const a = old[k] as number;
      if (a === NONE) continue;
      const b = old[k + 1] as number;
      const c = old[k + 2] as number;
      let slot = mix(a, b, c) & mask;
      while (into[slot * 4] !== NONE) slot = (slot + 1) & mask;
      into.set(old.subarray(k, k + 4), slot * 4);
    }
    this.mask = mask;
    this.slots = into;
  }
}

/** The sorted union of two sorted lists of regions. */
function mergeSorted(a: readonly number[], b: readonly number[]): number[] {
  const out: number[] = [];
  let i = 0;
  let j = 0;
  while (i < a.length || j < b.length) {
    const x = i < a.length ? (a[i] as number) : Number.POSITIVE_INFINITY;
    const y = j < b.length ? (b[j] as number) : Number.POSITIVE_INFINITY;
    if (x <= y) i++;
    if (y <= x) j++;
    out.push(Math.min(x, y));
  }
  return out;
}

/**
 * Thrown out of the compiler when its caller's `interrupted()` says the work is no longer
 * wanted (the language server's analysis worker, after a newer edit): the build stops within
 * a few milliseconds and the thread stays warm for the next job.
 */
export class CompileInterrupted extends Error {
  constructor() {
    super('compilation interrupted by its caller');
  }
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
  // Nodes are sparse: a default child, and the regions whose child differs from it (sorted).
  // A field with thousands of literals (`tenant`) then costs per node what its rules
  // mention, not one edge per literal.
  /**
   * The nodes, NODE fields each: variable, default child, where its exceptions start in
   * `pool`, how many there are, and its hash. One row per node in one typed array, so a
   * probe of the unique table reads one cache line, and the collector has nothing to trace.
   */
  private nodes = new Int32Array(NODE << 12);
  private nodeTotal = 0;
  /**
   * The nodes' exceptions: `count` regions from `start`, then their `count` targets. One typed
   * array for every node rather than two arrays per node: half a million nodes were a million
   * small objects for the collector to trace and promote.
   */
  private pool = new Int32Array(1 << 14);
  private poolUsed = 0;
  /**
   * The unique table: open addressing over node ids (-1: empty slot), probed from a node's
   * hash, doubled at three-quarters load. Allocates nothing per lookup.
   */
  private unique = new Int32Array(1 << 12).fill(-1);
  private readonly notMemo = new Map<number, number>();
  private readonly iteMemo = new TripleMemo(12);
  /** `orElse(f, g)` as the triple (f, g, 0). */
  private readonly orElseMemo = new TripleMemo(10);
  private readonly iteStep = (c: number, g: number, h: number): number => this.ite(c, g, h);
  private readonly orElseStep = (f: number, g: number): number => this.orElse(f, g);
  /** Edges stored so far: memory grows with them, so they are limited too. */
  private edges = 0;
  /**
   * Counted work: regions visited by the operations (`apply`, `leafRegions`, `terminalsWithin`)
   * and nodes made. Deterministic, so tests can require it to grow linearly with a policy's
   * size where time would be too noisy to (test/compile-scaling.test.ts).
   */
  work = 0;
  /** Operation steps, for asking `interrupted` every few thousand of them. */
  private steps = 0;
  /** Variable index by key (`prompt.tokens`, `prompt\0contains\0urgent`, …). */
  readonly index: ReadonlyMap<string, number>;
  /** For enum and literal variables: the region of each value. */
  private readonly valueRegion = new Map<number, Map<Value, number>>();

  constructor(
    readonly vars: readonly VarSpec[],
    keys: readonly string[],
    private readonly maxNodes = 500_000,
    private readonly maxEdges = 20_000_000,
    private readonly interrupted?: () => boolean,
  ) {
    this.index = new Map(keys.map((k, i) => [k, i]));
    vars.forEach((spec, v) => {
      const kind = spec.variable.kind;
      if (kind !== 'enum' && kind !== 'literal') return;
      const named = kind === 'literal' ? spec.representatives.slice(0, -1) : spec.representatives;
      this.valueRegion.set(v, new Map(named.map((value, r) => [value, r])));
    });
  }

  private checkInterrupted(): void {
    if (this.interrupted?.()) throw new CompileInterrupted();
  }

  get size(): number {
    return this.nodeTotal;
  }

  /** The number of regions of variable `v`. */
  regions(v: number): number {
    return (this.vars[v] as VarSpec).representatives.length;
  }

  /** The variable a reference tests (terminals: +∞). */
  varOf(ref: number): number {
    return ref >= 0 ? (this.nodes[ref * NODE] as number) : Number.POSITIVE_INFINITY;
  }

  /** The regions of a node's exceptions, sorted (a copy: counted as work, so a copy per visit shows in the scaling guard). */
  private exceptionRegions(ref: number): number[] {
    const start = this.nodes[ref * NODE + 2] as number;
    const n = this.nodes[ref * NODE + 3] as number;
    this.work += n;
    const out = new Array<number>(n);
    for (let i = 0; i < n; i++) out[i] = this.pool[start + i] as number;
    return out;
  }

  /** The targets of a node's exceptions, in region order (a copy, counted as work). */
  private exceptionTargets(ref: number): number[] {
    const start = (this.nodes[ref * NODE + 2] as number) + (this.nodes[ref * NODE + 3] as number);
    const n = this.nodes[ref * NODE + 3] as number;
    this.work += n;
    const out = new Array<number>(n);
    for (let i = 0; i < n; i++) out[i] = this.pool[start + i] as number;
    return out;
  }

  /** The children of a node, one per region (materialised: O(regions)). */
  kids(ref: number): readonly number[] {
    const out = new Array<number>(this.regions(this.varOf(ref))).fill(this.nodes[ref * NODE + 1] as number);
    const start = this.nodes[ref * NODE + 2] as number;
    const n = this.nodes[ref * NODE + 3] as number;
    for (let i = 0; i < n; i++) out[this.pool[start + i] as number] = this.pool[start + n + i] as number;
    return out;
  }

  /** The distinct edges of a node: each target with one region that leads to it, in region order. */
  private edgesOf(ref: number): { region: number; target: number }[] {
    const regions = this.exceptionRegions(ref);
    const targets = this.exceptionTargets(ref);
    const out: { region: number; target: number }[] = [];
    // The default child's first region: the smallest region not listed as an exception.
    let sample = 0;
    for (const r of regions) {
      if (r === sample) sample++;
      else if (r > sample) break;
    }
    let placed = sample >= this.regions(this.varOf(ref));
    for (let i = 0; i < regions.length; i++) {
      if (!placed && sample < (regions[i] as number)) {
        out.push({ region: sample, target: this.nodes[ref * NODE + 1] as number });
        placed = true;
      }
      out.push({ region: regions[i] as number, target: targets[i] as number });
    }
    if (!placed) out.push({ region: sample, target: this.nodes[ref * NODE + 1] as number });
    return out;
  }

  /** The distinct children of a node (default first). */
  private targetsOf(ref: number): number[] {
    return [this.nodes[ref * NODE + 1] as number, ...this.exceptionTargets(ref)];
  }

  /** The unique node for (v, kids), or the shared child when all kids are equal. */
  mk(v: number, kids: readonly number[]): number {
    const counts = new Map<number, number>();
    for (const k of kids) counts.set(k, (counts.get(k) ?? 0) + 1);
    const def = canonicalDefault(counts);
    const regions: number[] = [];
    const targets: number[] = [];
    kids.forEach((k, r) => {
      if (k !== def) {
        regions.push(r);
        targets.push(k);
      }
    });
    return this.mkSparse(v, def, regions, targets);
  }

  /** The unique node for (v, default, exceptions); `regions` sorted, targets differing from `def` or not. */
  private mkSparse(v: number, def: number, regions: number[], targets: number[]): number {
    // Drop exceptions equal to the default.
    let n = 0;
    for (let i = 0; i < regions.length; i++) {
      if (targets[i] !== def) {
        regions[n] = regions[i] as number;
        targets[n] = targets[i] as number;
        n++;
      }
    }
    if (n !== regions.length) {
      regions.length = n;
      targets.length = n;
    }
    if (n === 0) return def;
    // Canonical form: the default is the most frequent child (ties: the smallest reference),
    // so one function has one node. Re-base when the given default is not that child.
    // When the default covers more regions than all exceptions together it is the most
    // frequent child whatever they are: no counting (the common, sparse case).
    const defCount = this.regions(v) - n;
    let canonical = def;
    if (defCount <= n) {
      const counts = new Map<number, number>();
      if (defCount > 0) counts.set(def, defCount);
      for (let i = 0; i < n; i++) counts.set(targets[i] as number, (counts.get(targets[i] as number) ?? 0) + 1);
      canonical = canonicalDefault(counts);
    }
    if (canonical !== def) {
      const dense = new Array<number>(this.regions(v)).fill(def);
      for (let i = 0; i < n; i++) dense[regions[i] as number] = targets[i] as number;
      return this.mk(v, dense);
    }
    let hash = Math.imul(v + 1, 0x9e3779b1) ^ Math.imul(def + 0x7f4a7c15, 0x85ebca6b);
    for (let i = 0; i < n; i++) {
      hash = Math.imul(hash ^ ((regions[i] as number) + 0x27d4eb2f), 0x85ebca6b) ^ (hash >>> 13);
      hash = Math.imul(hash ^ ((targets[i] as number) + 0x165667b1), 0xc2b2ae35) ^ (hash >>> 16);
    }
    hash = finish(hash);
    const table = this.unique;
    const mask = table.length - 1;
    let slot = hash & mask;
    for (let id = table[slot] as number; id !== -1; slot = (slot + 1) & mask, id = table[slot] as number) {
      if (
        this.nodes[id * NODE + 4] === hash &&
        this.nodes[id * NODE] === v &&
        this.nodes[id * NODE + 1] === def &&
        this.nodes[id * NODE + 3] === n &&
        this.holds(id, regions, targets)
      )
        return id;
    }
    const id = this.nodeTotal;
    this.edges += n + 1;
    if (id >= this.maxNodes || this.edges > this.maxEdges) throw new DiagramTooLarge(id, this.edges);
    if ((id + 1) * NODE > this.nodes.length) {
      const bigger = new Int32Array(this.nodes.length * 2);
      bigger.set(this.nodes);
      this.nodes = bigger;
    }
    const row = id * NODE;
    this.nodes[row] = v;
    this.nodes[row + 1] = def;
    if (this.poolUsed + 2 * n > this.pool.length) {
      const bigger = new Int32Array(Math.max(this.pool.length * 2, this.poolUsed + 2 * n));
      bigger.set(this.pool.subarray(0, this.poolUsed));
      this.pool = bigger;
    }
    const start = this.poolUsed;
    for (let i = 0; i < n; i++) {
      this.pool[start + i] = regions[i] as number;
      this.pool[start + n + i] = targets[i] as number;
    }
    this.poolUsed += 2 * n;
    this.nodes[row + 2] = start;
    this.nodes[row + 3] = n;
    this.nodes[row + 4] = hash;
    this.nodeTotal = id + 1;
    table[slot] = id;
    if ((id + 1) * 4 > table.length * 3) this.growUnique();
    return id;
  }

  /** Whether node `id`'s exceptions are these (`id` has as many). */
  private holds(id: number, regions: readonly number[], targets: readonly number[]): boolean {
    const start = this.nodes[id * NODE + 2] as number;
    const n = regions.length;
    for (let i = 0; i < n; i++) if (this.pool[start + i] !== regions[i] || this.pool[start + n + i] !== targets[i]) return false;
    return true;
  }

  /** Doubles the unique table, re-placing every node by its hash. */
  private growUnique(): void {
    const table = new Int32Array(this.unique.length * 2).fill(-1);
    const mask = table.length - 1;
    for (let id = 0; id < this.nodeTotal; id++) {
      let slot = (this.nodes[id * NODE + 4] as number) & mask;
      while (table[slot] !== -1) slot = (slot + 1) & mask;
      table[slot] = id;
    }
    this.unique = table;
  }

  /** Whether nodes `x` (-1: none) and `y` list the same exception regions. */
  private sameRegions(x: number, y: number): boolean {
    if (x < 0) return false;
    if (x === y) return true;
    const n = this.nodes[x * NODE + 3] as number;
    if (this.nodes[y * NODE + 3] !== n) return false;
    const sx = this.nodes[x * NODE + 2] as number;
    const sy = this.nodes[y * NODE + 2] as number;
    for (let i = 0; i < n; i++) if (this.pool[sx + i] !== this.pool[sy + i]) return false;
    return true;
  }

  private cofactor(ref: number, v: number, region: number): number {
    if (this.varOf(ref) !== v) return ref;
    const start = this.nodes[ref * NODE + 2] as number;
    const n = this.nodes[ref * NODE + 3] as number;
    const pool = this.pool;
    let lo = 0;
    let hi = n - 1;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      const r = pool[start + mid] as number;
      if (r === region) return pool[start + n + mid] as number;
      if (r < region) lo = mid + 1;
      else hi = mid - 1;
    }
    return this.nodes[ref * NODE + 1] as number;
  }

  /**
   * One step of a binary/ternary operation on sparse nodes: split on the smallest variable
   * among `a`, `b` (and `c` when `arity` is 3), apply `op` to their defaults and, only where
   * one of them has an exception, to their cofactors (every other region takes the defaults'
   * result). `op` is bound once per operation, not per step: a step allocates only the new
   * node's lists.
   */
  private apply(arity: 2 | 3, a: number, b: number, c: number, op: (x: number, y: number, z: number) => number): number {
    const v = Math.min(this.varOf(a), this.varOf(b), arity === 3 ? this.varOf(c) : Number.POSITIVE_INFINITY);
    // The regions any of them lists as an exception, sorted (one list: no merging at all).
    let union: number[] | undefined;
    let from = -1;
    for (let k = 0; k < arity; k++) {
      const x = k === 0 ? a : k === 1 ? b : c;
      if (this.varOf(x) !== v) continue;
      if (union === undefined) {
        union = this.exceptionRegions(x);
        from = x;
      } else if (!this.sameRegions(from, x)) {
        union = mergeSorted(union, this.exceptionRegions(x));
        from = -1;
      }
    }
    if (union === undefined) throw new Error('apply: no operand tests the smallest variable');
    this.work += union.length + 1;
    if ((++this.steps & 4095) === 0) this.checkInterrupted();
    const ta = this.varOf(a) === v;
    const tb = this.varOf(b) === v;
    const tc = arity === 3 && this.varOf(c) === v;
    const def = op(ta ? (this.nodes[a * NODE + 1] as number) : a, tb ? (this.nodes[b * NODE + 1] as number) : b, tc ? (this.nodes[c * NODE + 1] as number) : c);
    const targets = new Array<number>(union.length);
    for (let i = 0; i < union.length; i++) {
      const r = union[i] as number;
      targets[i] = op(ta ? this.cofactor(a, v, r) : a, tb ? this.cofactor(b, v, r) : b, tc ? this.cofactor(c, v, r) : c);
    }
    return this.mkSparse(v, def, union, targets);
  }

  not(f: number): number {
    if (f === TRUE) return FALSE;
    if (f === FALSE) return TRUE;
    const hit = this.notMemo.get(f);
    if (hit !== undefined) return hit;
    const r = this.mkSparse(
      this.varOf(f),
      this.not(this.nodes[f * NODE + 1] as number),
      this.exceptionRegions(f),
      this.exceptionTargets(f).map((t) => this.not(t)),
    );
    this.notMemo.set(f, r);
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
    const hit = this.iteMemo.get(c, g, h);
    if (hit !== NONE) return hit;
    const result = this.apply(3, c, g, h, this.iteStep);
    this.iteMemo.set(c, g, h, result);
    return result;
  }

  /**
   * First match of two rule diagrams: `f` where it reaches a rule leaf, `g` where `f` has
   * no match. Associative, so a route's diagram is built by halves, without keeping every
   * prefix of the rule list in the unique table.
   */
  orElse(f: number, g: number): number {
    if (f === FALSE) return g;
    if (f < 0 || g === FALSE) return f;
    const hit = this.orElseMemo.get(f, g, 0);
    if (hit !== NONE) return hit;
    const result = this.apply(2, f, g, 0, this.orElseStep);
    this.orElseMemo.set(f, g, 0, result);
    return result;
  }

  /**
   * Combines two multi-terminal diagrams terminal by terminal: `leafOf(a, b)` gives the
   * result where `f` ends in `a` and `g` in `b` (used by the semantic diff).
   */
  combine(f: number, g: number, leafOf: (a: number, b: number) => number): number {
    const memo = new TripleMemo(8);
    const step = (x: number, y: number): number => {
      if (x < 0 && y < 0) return leafOf(x, y);
      const hit = memo.get(x, y, 0);
      if (hit !== NONE) return hit;
      const result = this.apply(2, x, y, 0, step);
      memo.set(x, y, 0, result);
      return result;
    };
    return step(f, g);
  }

  /**
   * The terminals of `f` reachable by inputs in the boolean diagram `region`, found by one
   * walk over pairs of nodes without building a diagram (no node is added to the table).
   */
  terminalsWithin(f: number, region: number): Set<number> {
    const out = new Set<number>();
    const seen = new Set<string>();
    const go = (a: number, b: number): void => {
      if (b === FALSE) return;
      // A boolean node other than FALSE has a path to TRUE, so `a` is reached.
      if (a < 0) {
        out.add(a);
        return;
      }
      const key = `${a}:${b}`;
      if (seen.has(key)) return;
      seen.add(key);
      this.work++;
      if ((++this.steps & 4095) === 0) this.checkInterrupted();
      const v = Math.min(this.varOf(a), this.varOf(b));
      const union = new Set<number>();
      for (const x of [a, b]) {
        if (x < 0 || this.varOf(x) !== v) continue;
        const start = this.nodes[x * NODE + 2] as number;
        const n = this.nodes[x * NODE + 3] as number;
        for (let i = 0; i < n; i++) union.add(this.pool[start + i] as number);
      }
      // The defaults stand for the regions no exception names, if there are any.
      if (union.size < this.regions(v))
        go(this.varOf(a) === v ? (this.nodes[a * NODE + 1] as number) : a, b >= 0 && this.varOf(b) === v ? (this.nodes[b * NODE + 1] as number) : b);
      for (const r of union) go(this.cofactor(a, v, r), b >= 0 ? this.cofactor(b, v, r) : b);
    };
    go(f, region);
    return out;
  }

  /** The edges of a node grouped by target, each with every region that leads there. */
  edgeGroups(ref: number): { target: number; regions: number[] }[] {
    const groups = new Map<number, number[]>();
    this.kids(ref).forEach((k, r) => {
      const list = groups.get(k);
      if (list) list.push(r);
      else groups.set(k, [r]);
    });
    return [...groups].map(([target, regions]) => ({ target, regions }));
  }

  /**
   * For each rule leaf under `root`, the boolean diagram of the inputs that reach it: the
   * region where that rule decides. Linear in what it reads: for each leaf, only the edges
   * into that leaf's ancestors are visited (found backwards from the leaf over an index of
   * parents built once), so a node with thousands of exceptions (`tenant`) is not scanned
   * once per rule. Exceptions must be stated only where the default also reaches the leaf.
   */
  leafRegions(root: number, leaves: readonly number[]): Map<number, number> {
    // Parents of each node under `root`, as flat pairs (parent, exception index; -1: the default).
    const parents = new Map<number, number[]>();
    const addParent = (child: number, parent: number, exception: number): void => {
      const list = parents.get(child);
      if (list) list.push(parent, exception);
      else parents.set(child, [parent, exception]);
    };
    for (const n of this.reachable(root)) {
      addParent(this.nodes[n * NODE + 1] as number, n, -1);
      const targets = this.exceptionTargets(n);
      for (let i = 0; i < targets.length; i++) addParent(targets[i] as number, n, i);
      this.work += targets.length + 1;
    }
    const out = new Map<number, number>();
    for (const target of leaves) {
      // The leaf's ancestors, each with the exceptions that lead towards the leaf.
      const toward = new Map<number, number[]>();
      const stack = [target];
      while (stack.length > 0) {
        const pairs = parents.get(stack.pop() as number);
        if (!pairs) continue;
        this.work += pairs.length / 2;
        for (let k = 0; k < pairs.length; k += 2) {
          const parent = pairs[k] as number;
          let list = toward.get(parent);
          if (!list) {
            list = [];
            toward.set(parent, list);
            stack.push(parent);
          }
          if ((pairs[k + 1] as number) >= 0) list.push(pairs[k + 1] as number);
        }
      }
      const memo = new Map<number, number>();
      const go = (ref: number): number => {
        if (ref < 0) return ref === target ? TRUE : FALSE;
        const leading = toward.get(ref);
        if (!leading) return FALSE;
        const hit = memo.get(ref);
        if (hit !== undefined) return hit;
        // Read in place (a copy of a node's exceptions per leaf made the build quadratic on a
        // `tenant` node with thousands of them); the pool may grow during the recursion, but
        // offsets stay.
        const start = this.nodes[ref * NODE + 2] as number;
        const n = this.nodes[ref * NODE + 3] as number;
        const def = go(this.nodes[ref * NODE + 1] as number);
        // With a FALSE default only the exceptions leading to the leaf matter; otherwise
        // every exception must be stated (those that do not lead there become FALSE).
        const onlyLeading = def === FALSE;
        if (onlyLeading) leading.sort((a, b) => a - b);
        const count = onlyLeading ? leading.length : n;
        this.work += count + 1;
        if ((++this.steps & 4095) === 0) this.checkInterrupted();
        // Bound like the edges, so a policy too large to analyse says so in a second.
        if (this.work > this.maxEdges * 4) throw new DiagramTooLarge(this.nodeTotal, this.edges);
        const keptRegions: number[] = [];
        const keptTargets: number[] = [];
        for (let k = 0; k < count; k++) {
          const i = onlyLeading ? (leading[k] as number) : k;
          const sub = go(this.pool[start + n + i] as number);
          if (sub !== def) {
            keptRegions.push(this.pool[start + i] as number);
            keptTargets.push(sub);
          }
        }
        const r = this.mkSparse(this.varOf(ref), def, keptRegions, keptTargets);
        memo.set(ref, r);
        return r;
      };
      out.set(target, go(root));
    }
    return out;
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
        if (field && value !== undefined && (op === '==' || op === '!=')) {
          const fast = this.equalityAtom(field.join('.'), value, op === '==');
          if (fast !== undefined) return fast;
        }
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

  /**
   * `field == value` (or `!=`) on an enum or literal variable, built sparsely: one exception
   * at the value's region, whatever the number of regions.
   */
  private equalityAtom(key: string, value: Value, equal: boolean): number | undefined {
    const v = this.index.get(key);
    if (v === undefined) return undefined;
    const regions = this.valueRegion.get(v);
    if (!regions) return undefined;
    const r = regions.get(value);
    if (r === undefined) return equal ? FALSE : TRUE;
    return this.mkSparse(v, equal ? FALSE : TRUE, [r], [equal ? TRUE : FALSE]);
  }

  private boolVar(key: string | number): number {
    const v = typeof key === 'number' ? key : this.index.get(key);
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
      const r = this.targetsOf(ref).some(reachesTrue);
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
      if (rv === v) {
        this.kids(ref).forEach((k, r) => {
          if (reachesTrue(k)) out.add(r);
        });
        return;
      }
      for (const k of this.targetsOf(ref)) visit(k);
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
    return this.mapTerminals(root, (t) => (accept(t) ? TRUE : FALSE));
  }

  /** `root` with each terminal replaced by `map(terminal)` (another terminal). */
  mapTerminals(root: number, map: (terminal: number) => number): number {
    const memo = new Map<number, number>();
    const go = (ref: number): number => {
      if (ref < 0) return map(ref);
      const hit = memo.get(ref);
      if (hit !== undefined) return hit;
      const r = this.mkSparse(this.varOf(ref), go(this.nodes[ref * NODE + 1] as number), this.exceptionRegions(ref), this.exceptionTargets(ref).map(go));
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
      for (const k of this.targetsOf(ref)) stack.push(k);
    }
    return [...seen].sort((a, b) => a - b);
  }

  /** The terminals reachable from `root`. */
  terminals(root: number): Set<number> {
    const out = new Set<number>();
    if (root < 0) out.add(root);
    for (const n of this.reachable(root)) for (const k of this.targetsOf(n)) if (k < 0) out.add(k);
    return out;
  }

  /**
   * A path from the boolean diagram `root` to TRUE, as variable → region; undefined when
   * `root` is FALSE. In a reduced diagram every node other than FALSE has a path to TRUE, so
   * any child that is not FALSE leads there: the walk is linear in the path's length and never
   * backtracks. Conjoin the policy's consistency diagram into `root` first (see
   * `consistency`): then every path is a request that exists.
   */
  witness(root: number): Map<number, number> | undefined {
    if (root === FALSE) return undefined;
    const assignment = new Map<number, number>();
    for (let ref = root; ref >= 0; ) {
      this.work += (this.nodes[ref * NODE + 3] as number) + 1;
      const edge = this.edgesOf(ref).find((e) => e.target !== FALSE);
      if (!edge) return undefined; // unreachable in a reduced diagram
      assignment.set(this.varOf(ref), edge.region);
      ref = edge.target;
    }
    return assignment;
  }

  /**
   * The consistency diagram: the assignments to `contains` variables that some string can
   * take. Substring containment between the constants is known here: a string containing
   * "w16" contains "w1", and on the region of a literal (`tenant == "acme"`) each `contains`
   * is that literal's answer. Any assignment these allow is realised by joining the required
   * substrings with a character no constant has (see witness.ts), so with this diagram
   * conjoined a path of the decision diagram is a request that exists.
   */
  consistency(): number {
    const byField = new Map<string, number[]>();
    this.vars.forEach((spec, v) => {
      if (spec.variable.kind !== 'contains') return;
      const list = byField.get(spec.fieldKey) ?? [];
      list.push(v);
      byField.set(spec.fieldKey, list);
    });
    let out = TRUE;
    for (const [field, containsVars] of byField) {
      const substring = (v: number): string => (this.vars[v]?.variable as { substring: string }).substring;
      let implied = TRUE;
      for (const a of containsVars) {
        for (const b of containsVars) {
          if (a !== b && substring(a).includes(substring(b))) implied = this.and(implied, this.or(this.not(this.boolVar(a)), this.boolVar(b)));
        }
      }
      const literalVar = this.index.get(field);
      const spec = literalVar === undefined ? undefined : this.vars[literalVar];
      if (literalVar !== undefined && spec?.variable.kind === 'literal') {
        // On a literal's region every `contains` is decided by the literal itself.
        const kids = spec.variable.literals.map((literal) =>
          containsVars.reduce((acc, v) => this.and(acc, literal.includes(substring(v)) ? this.boolVar(v) : this.not(this.boolVar(v))), TRUE),
        );
        implied = this.mk(literalVar, [...kids, implied]);
      }
      out = this.and(out, implied);
    }
    return out;
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
