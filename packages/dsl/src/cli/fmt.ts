// `routelang fmt FILE...` rewrites files in canonical form; `--check` only lists the files
// that would change (exit 1). Files with syntax errors are reported and left alone.

import { writeFileSync } from 'node:fs';
import { format } from '../format.js';
import { decodeSource, MAX_FILE_BYTES, nodeHost } from '../load.js';
import { readBoundedText } from '../read.js';
import { SourceFile } from '../source.js';
import { expandFiles } from './files.js';
import type { CommandIO } from './io.js';
import { displayPath, renderText } from './render.js';

export function runFmt(args: readonly string[], checkOnly: boolean, io: CommandIO): number {
  const host = nodeHost();
  let failed = false;
  const changed: string[] = [];
  for (const file of expandFiles(args)) {
    const decoded = decodeSource(file, host.readFile(file));
    const source = new SourceFile(file, decoded.text);
    if (decoded.diagnostics.length > 0) {
      io.err(renderText(decoded.diagnostics, () => source, io.color));
      failed = true;
      continue;
    }
    const result = format(decoded.text, file);
    if (!result.ok) {
      io.err(renderText(result.diagnostics, () => source, io.color));
      io.err(`${displayPath(file)}: not formatted, it has syntax errors`);
      failed = true;
      continue;
    }
    if (result.text === decoded.text) continue;
    changed.push(file);
    if (!checkOnly) {
      // Re-read right before writing would not make this atomic; write the whole file once.
      const now = readBoundedText(file, MAX_FILE_BYTES);
      if (now.ok && now.text === decoded.text) writeFileSync(file, result.text);
    }
  }
  for (const file of changed) io.out(checkOnly ? `would reformat ${displayPath(file)}` : `formatted ${displayPath(file)}`);
  if (failed) return 1;
  return checkOnly && changed.length > 0 ? 1 : 0;
}
