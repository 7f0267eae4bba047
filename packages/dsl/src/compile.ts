// The front end as one call: load a policy (following imports), parse and check it.
// What the CLI, the language server and the tests call.

import type { PolicyIR } from '@routelang/runtime';
import { analyze } from './analyze/index.js';
import type * as A from './ast.js';
import { check } from './check/index.js';
import type { Policy } from './check/policy.js';
import { type Diagnostic, diagnostic, hasErrors, sortDiagnostics } from './diagnostics.js';
import { emitIR } from './emit.js';
import { type Compilation, compileRoutes } from './graph/compile.js';
import { DiagramTooLarge } from './graph/diagram.js';
import { type CompilerHost, type LoadedProgram, loadProgram, nodeHost } from './load.js';

/** The result of checking one policy entry file. */
export interface FrontEndResult {
  readonly program: LoadedProgram;
  readonly policy: Policy;
  /** All diagnostics, sorted by file and position. */
  readonly diagnostics: readonly Diagnostic[];
}

/**
 * Loads, parses and checks the policy at `entry`. Never throws on bad input.
 *
 * @example
 * const { diagnostics } = checkPolicy('examples/support/policy.route');
 */
export function checkPolicy(entry: string, host: CompilerHost = nodeHost()): FrontEndResult {
  const program = loadProgram(entry, host);
  const checked = check(program);
  const semantic = checked.diagnostics.filter((d) => !insideRecovered(program, d));
  // Say on the failed import how many "not declared" reports it holds back (once per file).
  const told = new Set<string>();
  const loading = program.diagnostics.map((d) => {
    const n = checked.suppressed.get(d.file);
    if (n === undefined || (d.code !== 'RL2020' && d.code !== 'RL2019') || told.has(d.file)) return d;
    told.add(d.file);
    const note = `${n} use${n === 1 ? '' : 's'} of names not declared here ${n === 1 ? 'is' : 'are'} not reported until the import is fixed`;
    return { ...d, help: d.help ? `${d.help}; ${note}` : note };
  });
  return { program, policy: checked.policy, diagnostics: sortDiagnostics([...loading, ...semantic]) };
}

/** Whether a diagnostic points into a declaration the parser repaired (its tree is partial). */
function insideRecovered(program: LoadedProgram, d: Diagnostic): boolean {
  const recovered = program.modules.get(d.file)?.module.recovered ?? [];
  return recovered.some((r) => d.span.start >= r.start && d.span.start < r.end);
}

/** The result of compiling one policy entry file. */
export interface CompileResult extends FrontEndResult {
  /** Present when the front end found no error and the graph could be built. */
  readonly compilation: Compilation | undefined;
  /** The IR artifact; present when there is no error at all. */
  readonly ir: PolicyIR | undefined;
}

/** Options of `compilePolicy` and `compileChecked`. */
export interface CompileOptions {
  /** The decision diagrams' node limit (RL3008 past it); 500,000 by default. */
  readonly maxNodes?: number;
  /**
   * Asked every few thousand steps of the graph build and the analyses; when it returns true
   * the compilation stops by throwing `CompileInterrupted` (the only thing it throws). For a
   * caller whose result is no longer wanted, such as the language server after a newer edit.
   */
  readonly interrupted?: () => boolean;
}

/**
 * Checks, compiles and analyses the policy at `entry`: front-end diagnostics, then the
 * decision graph, the analyses (with counterexamples) and, when nothing is an error, the IR.
 *
 * @example
 * const { ir, diagnostics } = compilePolicy('examples/governance/policy.route');
 */
export function compilePolicy(entry: string, host: CompilerHost = nodeHost(), options: CompileOptions = {}): CompileResult {
  return compileChecked(checkPolicy(entry, host), options);
}

/**
 * The second half of `compilePolicy`: the decision graph, analyses and IR of a policy the
 * front end has already checked (the language server checks first, and compiles only when
 * something needs the graph).
 */
export function compileChecked(front: FrontEndResult, options: CompileOptions = {}): CompileResult {
  if (hasErrors(front.diagnostics)) return { ...front, compilation: undefined, ir: undefined };
  let compilation: Compilation;
  try {
    compilation = compileRoutes(front.policy, options.maxNodes, options.interrupted);
  } catch (error) {
    if (!(error instanceof DiagramTooLarge)) throw error;
    return { ...front, diagnostics: sortDiagnostics([...front.diagnostics, tooLarge(front, error)]), compilation: undefined, ir: undefined };
  }
  let findings: Diagnostic[];
  try {
    findings = analyze(compilation);
  } catch (error) {
    // The analyses build diagrams too (assertions per model, cost regions): same limits.
    if (!(error instanceof DiagramTooLarge)) throw error;
    return { ...front, diagnostics: sortDiagnostics([...front.diagnostics, tooLarge(front, error)]), compilation: undefined, ir: undefined };
  }
  const diagnostics = sortDiagnostics([...front.diagnostics, ...findings]);
  return { ...front, diagnostics, compilation, ir: hasErrors(diagnostics) ? undefined : emitIR(compilation) };
}

function tooLarge(front: FrontEndResult, error: DiagramTooLarge): Diagnostic {
  // Name the fields whose constants cut the most regions: they make the combinations explode.
  const counts = new Map<string, number>();
  const route = front.policy.entryRoute;
  const texts = [...(route ? route.node.rules : []), ...[...front.policy.routes.values()].flatMap((r) => r.node.rules)];
  for (const rule of texts) {
    if (!rule.condition) continue;
    for (const name of fieldNames(rule.condition)) counts.set(name, (counts.get(name) ?? 0) + 1);
  }
  const top = [...counts]
    .sort((a, b) => b[1] - a[1])
    .slice(0, 3)
    .map(([name, count]) => `\`${name}\` (tested by ${count} rules)`);
  const at = route ?? [...front.policy.routes.values()][0];
  return diagnostic(
    'RL3008',
    at?.file ?? front.program.entry,
    at ? { start: at.node.keyword.start, end: at.node.keyword.end } : { start: 0, end: 0 },
    `the decision graph grows past its limits (${error.nodes.toLocaleString('en-US')} nodes, ${error.children.toLocaleString('en-US')} edges); the fields behind it: ${top.join(', ')}`,
    {
      help: 'split the policy into named routes by one of these fields, or test fewer distinct constants',
    },
  );
}

function fieldNames(expr: A.Expr, out: Set<string> = new Set()): Set<string> {
  switch (expr.kind) {
    case 'Path':
      if (expr.segments[0]) out.add(expr.segments.map((s) => s.name).join('.'));
      break;
    case 'Paren':
      fieldNames(expr.inner, out);
      break;
    case 'Not':
      fieldNames(expr.operand, out);
      break;
    case 'And':
    case 'Or':
      for (const o of expr.operands) fieldNames(o, out);
      break;
    case 'Implies':
    case 'Compare':
    case 'In':
    case 'Contains':
      fieldNames(expr.left, out);
      fieldNames(expr.right, out);
      break;
    default:
      break;
  }
  return out;
}
