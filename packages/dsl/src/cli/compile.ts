// `routelang compile FILE [-o out.json] [--emit js]`: the IR artifact, with the decision
// graph's size; with `--emit js`, also the ahead-of-time compiled decision module.

import { writeFileSync } from 'node:fs';
import { compilePolicy } from '../compile.js';
import { hasErrors } from '../diagnostics.js';
import { emitDecideModule } from '../emit-js.js';
import type { CommandIO } from './io.js';
import { displayPath, renderText } from './render.js';

export function runCompile(file: string, output: string | undefined, io: CommandIO, emit: 'ir' | 'js' = 'ir'): number {
  const result = compilePolicy(file);
  const lookup = (f: string) => result.program.modules.get(f)?.source;
  if (result.diagnostics.length > 0) io.err(renderText(result.diagnostics, lookup, io.color));
  if (hasErrors(result.diagnostics) || !result.ir || !result.compilation) {
    io.err(`${displayPath(result.program.entry)}: not compiled, it has errors`);
    return 1;
  }
  const json = `${JSON.stringify(result.ir, null, 2)}\n`;
  if (emit === 'js') {
    // The module is only valid with the IR it was compiled from (its fingerprint): with -o,
    // both are written side by side; without, the module goes to standard output.
    const module = emitDecideModule(result.ir, displayPath(file));
    if (output) {
      const modulePath = decideModulePath(output);
      writeFileSync(output, json);
      writeFileSync(modulePath, module);
      io.err(`wrote ${displayPath(modulePath)}`);
    } else io.out(module.trimEnd());
  } else if (output) writeFileSync(output, json);
  else io.out(json.trimEnd());
  for (const route of result.ir.routes) {
    const depth = graphDepth(
      route.graph.nodes.map((n) => n.children),
      route.graph.root,
    );
    io.err(
      `${route.name === null ? 'entry route' : `route ${route.name}`}: ${route.rules.length} rules, decision graph of ${route.graph.nodes.length} nodes over ${route.graph.variables.length} variables, at most ${depth} tests per decision`,
    );
  }
  if (output) io.err(`wrote ${displayPath(output)}`);
  return 0;
}

/** Where `--emit js -o policy.json` writes the module: `policy.decide.mjs`. */
export function decideModulePath(output: string): string {
  return `${output.replace(/\.json$/, '')}.decide.mjs`;
}

/** The longest path from the root to a leaf, in nodes tested. */
export function graphDepth(children: readonly (readonly number[])[], root: number): number {
  const memo = new Map<number, number>();
  const depth = (ref: number): number => {
    if (ref < 0) return 0;
    const hit = memo.get(ref);
    if (hit !== undefined) return hit;
    const d = 1 + Math.max(...(children[ref] ?? []).map(depth));
    memo.set(ref, d);
    return d;
  };
  return depth(root);
}
