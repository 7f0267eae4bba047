// `routelang traffic POLICY`: sample requests for any policy, one JSON object per line,
// aimed at what its conditions decide on (see simulate/traffic.ts).

import { writeFileSync } from 'node:fs';
import { compilePolicy } from '../compile.js';
import { hasErrors } from '../diagnostics.js';
import { generateTraffic, type TrafficOptions } from '../simulate/traffic.js';
import type { CommandIO } from './io.js';
import { renderText } from './render.js';

export function runTraffic(file: string, options: TrafficOptions & { readonly output?: string }, io: CommandIO): number {
  const result = compilePolicy(file);
  if (hasErrors(result.diagnostics) || !result.compilation) {
    io.err(renderText(result.diagnostics, (f) => result.program.modules.get(f)?.source, io.color));
    return 1;
  }
  const lines = generateTraffic(result.policy, result.compilation.diagrams, options);
  if (options.output === undefined) {
    io.out(lines.join('\n'));
    return 0;
  }
  try {
    writeFileSync(options.output, `${lines.join('\n')}\n`);
  } catch (error) {
    io.err(`routelang: cannot write ${options.output}: ${(error as Error).message}`);
    return 2;
  }
  io.err(`wrote ${lines.length} requests to ${options.output}`);
  return 0;
}
