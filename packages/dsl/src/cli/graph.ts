// `routelang graph FILE --format mermaid|dot|svg`: the decision graphs, one per route, with
// each node's field, each edge's regions and each leaf's rule.

import { compilePolicy } from '../compile.js';
import { hasErrors } from '../diagnostics.js';
import { drawRoutes, toDot, toMermaid, toSvg } from '../graph/drawing.js';
import type { CommandIO } from './io.js';
import { renderText } from './render.js';

export function runGraph(file: string, format: 'mermaid' | 'dot' | 'svg', io: CommandIO): number {
  const result = compilePolicy(file);
  if (hasErrors(result.diagnostics) || !result.compilation) {
    io.err(renderText(result.diagnostics, (f) => result.program.modules.get(f)?.source, io.color));
    return 1;
  }
  const drawings = drawRoutes(result);
  io.out(format === 'mermaid' ? toMermaid(drawings) : format === 'dot' ? toDot(drawings) : toSvg(drawings));
  return 0;
}
