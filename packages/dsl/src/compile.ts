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
  return { program, policy: checked.policy, diagnostics: sortDiagnostics([...program.diagnostics, ...checked.diagnostics]) };
}
