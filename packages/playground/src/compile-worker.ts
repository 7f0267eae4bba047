// The playground's compiler, in its own Web Worker: it compiles the open files and returns
// what the side panels show — the IR (the page decides requests with it), the worst-case cost
// of each rule and the decision graph. Off the page's thread, a pathological policy (a
// decision graph that grows until RL3008) never freezes the page, and the page cancels a
// compilation that an edit has made stale by terminating this worker.

import { type CompileResult, type CompilerHost, compilePolicy, drawRoutes, toDot, toSvg } from '@routelang/dsl';
import type { PolicyIR } from '@routelang/runtime';
import { instance, type Viz } from '@viz-js/viz';
import { costLabel, summariseRules } from '../../lsp/src/rule-summary.js';

/** A compilation asked for. */
export interface CompileJob {
  readonly id: number;
  readonly main: string;
  readonly files: Readonly<Record<string, string>>;
}

/** One rule's worst case, as the inlay hints say it. */
export interface RuleCost {
  readonly route: string;
  readonly line: number;
  readonly cost: string;
  readonly models: readonly string[];
  readonly breakdown: readonly string[];
}

/** What the page gets back. */
export interface CompileOutcome {
  readonly id: number;
  readonly errors: number;
  readonly warnings: number;
  readonly ir: PolicyIR | null;
  readonly costs: readonly RuleCost[] | null;
  readonly graph: { readonly svg: string; readonly dot: string } | null;
  /** The compiler failed (a bug): its message. */
  readonly crashed?: string;
  readonly ms: number;
}

declare const self: { onmessage: ((event: { data: CompileJob }) => void) | null; postMessage(message: CompileOutcome): void };

/** Graphviz (compiled to WebAssembly) lays the graph out: edge labels placed, nothing overlapping. Compiled as the worker starts. */
const viz: Promise<Viz> = instance();

self.onmessage = async ({ data: job }) => {
  const started = performance.now();
  try {
    self.postMessage(outcome(job, started, await viz));
  } catch (error) {
    self.postMessage({
      id: job.id,
      errors: 0,
      warnings: 0,
      ir: null,
      costs: null,
      graph: null,
      crashed: error instanceof Error ? error.message : String(error),
      ms: 0,
    });
  }
};

function outcome(job: CompileJob, started: number, graphviz: Viz): CompileOutcome {
  const host: CompilerHost = {
    readFile: (path) => {
      const text = job.files[path];
      return text === undefined ? { kind: 'missing', reason: 'is not open in the playground' } : { kind: 'text', text };
    },
  };
  const result = compilePolicy(job.main, host);
  const errors = result.diagnostics.filter((d) => d.severity === 'error').length;
  let graph: CompileOutcome['graph'] = null;
  if (result.compilation) {
    const drawings = drawRoutes(result);
    const dot = toDot(drawings);
    let svg: string;
    try {
      // Graphviz sizes boxes from a font's metrics it estimates: a monospaced font is estimated
      // exactly, and every browser has one (a proportional one overflows its boxes where it differs).
      svg = graphviz.renderString(dot.replaceAll('fontname="Helvetica"', 'fontname="Courier"'), { format: 'svg' });
    } catch {
      // Graphviz refused the graph: the compiler's own drawing (laid out by rank, labels may crowd).
      svg = toSvg(drawings);
    }
    graph = { svg, dot };
  }
  return {
    id: job.id,
    errors,
    warnings: result.diagnostics.length - errors,
    ir: result.ir ?? null,
    costs: costs(result, job.main),
    graph,
    ms: performance.now() - started,
  };
}

/** The worst-case cost of each rule of the main file, from the compiled graph. */
function costs(result: CompileResult, main: string): RuleCost[] | null {
  const module = result.program.modules.get(main);
  if (!result.compilation || !module) return null;
  const summaries = summariseRules(result.compilation);
  const out: RuleCost[] = [];
  for (const decl of module.module.declarations) {
    if (decl.kind !== 'RouteDecl') continue;
    for (const rule of decl.rules) {
      const s = summaries.get(rule);
      out.push({
        route: decl.name ? decl.name.name : 'route',
        line: module.source.position(rule.span.start).line,
        cost: s ? costLabel(s) : 'never decides',
        models: s ? s.models : [],
        breakdown: s ? s.breakdown : [],
      });
    }
  }
  return out;
}
