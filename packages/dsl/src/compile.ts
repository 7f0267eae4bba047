// The front end as one call: load a policy (following imports), parse and check it.
// What the CLI, the language server and the tests call.

import { check } from './check/index.js';
import type { Policy } from './check/policy.js';
import { type Diagnostic, sortDiagnostics } from './diagnostics.js';
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
  return { program, policy: checked.policy, diagnostics: sortDiagnostics([...program.diagnostics, ...semantic]) };
}

/** Whether a diagnostic points into a declaration the parser repaired (its tree is partial). */
function insideRecovered(program: LoadedProgram, d: Diagnostic): boolean {
  const recovered = program.modules.get(d.file)?.module.recovered ?? [];
  return recovered.some((r) => d.span.start >= r.start && d.span.start < r.end);
}
