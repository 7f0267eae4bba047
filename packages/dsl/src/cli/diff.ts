// `routelang diff OLD NEW [--format json]`: the input regions whose decision changes.
// Exit 0 when nothing changes, 1 when something does (a CI gate), 2 on usage errors.

import { checkPolicy } from '../compile.js';
import { hasErrors } from '../diagnostics.js';
import { diffPolicies } from '../diff.js';
import type { CommandIO } from './io.js';
import { displayPath, renderText } from './render.js';

export function runDiff(oldFile: string, newFile: string, format: 'text' | 'json', io: CommandIO): number {
  const results = [checkPolicy(oldFile), checkPolicy(newFile)] as const;
  for (const r of results) {
    if (hasErrors(r.diagnostics)) {
      io.err(renderText(r.diagnostics, (f) => r.program.modules.get(f)?.source, io.color));
      io.err(`${displayPath(r.program.entry)}: has errors; fix them before diffing`);
      return 2;
    }
  }
  const diff = diffPolicies(results[0].policy, results[1].policy);
  if (format === 'json') {
    io.out(JSON.stringify({ changes: diff.changes, omitted: diff.omitted }, null, 2));
  } else if (diff.changes.length === 0) {
    io.out('no decision changes: every request is routed as before');
  } else {
    for (const c of diff.changes) {
      io.out(`${c.condition}:\n    ${c.before}  →  ${c.after}\n    e.g. ${JSON.stringify(c.example)}`);
    }
    io.out(`${diff.changes.length}${diff.omitted > 0 ? ` (+${diff.omitted} more)` : ''} region${diff.changes.length === 1 ? '' : 's'} change`);
  }
  return diff.changes.length > 0 ? 1 : 0;
}
