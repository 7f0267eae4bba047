// `routelang import litellm|portkey CONFIG [-o policy.route]`: translates a router
// configuration into a policy, runs every analysis on it and reports the findings in the
// configuration's terms. Exit 0 clean, 1 with findings, 2 when the input is not a valid
// configuration of that kind.

import { writeFileSync } from 'node:fs';
import type { ImportNote } from '../import/common.js';
import { liteLLMFindings, portkeyFindings } from '../import/findings.js';
import { importLiteLLM, MAX_CONFIG_BYTES } from '../import/litellm.js';
import { importPortkey } from '../import/portkey.js';
import { readBoundedText } from '../read.js';
import type { CommandIO } from './io.js';

export async function runImport(
  kind: 'litellm' | 'portkey',
  file: string,
  output: string | undefined,
  format: 'text' | 'json',
  io: CommandIO,
): Promise<number> {
  const read = readBoundedText(file, MAX_CONFIG_BYTES);
  if (!read.ok) {
    io.err(`routelang: cannot read ${file}: it ${read.reason}`);
    return 2;
  }
  const text = read.text;
  let policy: string | undefined;
  let notes: ImportNote[];
  if (kind === 'litellm') {
    const result = importLiteLLM(text, file);
    policy = result.policy;
    notes = [...result.notes, ...liteLLMFindings(result)];
  } else {
    const result = importPortkey(text, file);
    policy = result.policy;
    notes = [...result.notes, ...portkeyFindings(result)];
  }
  const status = notes.some((n) => n.severity === 'error') ? 2 : notes.some((n) => n.severity === 'finding') ? 1 : 0;
  if (format === 'json') {
    io.out(
      JSON.stringify(
        { file, policy: policy ?? null, findings: notes.filter((n) => n.severity !== 'note'), notes: notes.filter((n) => n.severity === 'note') },
        null,
        2,
      ),
    );
  } else {
    for (const n of notes) io.err(`${file}:${n.line}:${n.column}: ${n.severity}: ${n.message}${n.path ? ` (${n.path})` : ''}`);
    const findings = notes.filter((n) => n.severity === 'finding').length;
    if (status !== 2)
      io.err(`imported ${file}: ${findings} finding${findings === 1 ? '' : 's'}, ${notes.length - findings} note${notes.length - findings === 1 ? '' : 's'}`);
  }
  if (policy !== undefined && status !== 2) {
    if (output !== undefined) {
      try {
        writeFileSync(output, policy);
      } catch (error) {
        io.err(`routelang: cannot write ${output}: ${(error as NodeJS.ErrnoException).code ?? 'error'}`);
        return 2;
      }
    } else if (format === 'text') io.out(policy.trimEnd());
  }
  return status;
}
