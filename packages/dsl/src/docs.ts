// Generates docs/diagnostics.md from the catalogue, so the table and the code never disagree.

import { CATALOGUE, type DiagnosticCode } from './diagnostics.js';

const STAGES: [string, string][] = [
  ['RL1', 'Syntax and files'],
  ['RL2', 'Names and types'],
  ['RL3', 'Analyses'],
  ['RL4', 'Tests'],
];

/** The Markdown of docs/diagnostics.md. */
export function diagnosticsMarkdown(): string {
  const codes = Object.keys(CATALOGUE) as DiagnosticCode[];
  const out: string[] = [
    '# Diagnostics',
    '',
    '<!-- Generated from packages/dsl/src/diagnostics.ts by `pnpm gen-docs`; a test fails when this file is stale. -->',
    '',
    'Every problem Routelang reports has a stable code. The same objects are behind the',
    "CLI's text, `--format json` and `--format sarif` output and the editor's squiggles.",
    'Codes are never renumbered or reused.',
    '',
    '| code | name | severity | meaning |',
    '| --- | --- | --- | --- |',
  ];
  for (const code of codes) {
    const k = CATALOGUE[code];
    out.push(`| [${code}](#${code.toLowerCase()}) | \`${k.name}\` | ${k.severity} | ${k.summary} |`);
  }
  for (const [prefix, title] of STAGES) {
    const inStage = codes.filter((c) => c.startsWith(prefix));
    if (inStage.length === 0) continue;
    out.push('', `## ${title}`);
    for (const code of inStage) {
      const k = CATALOGUE[code];
      out.push('', `### ${code}`, '', `**${k.name}** (${k.severity}): ${k.summary}.`, '', k.explanation);
    }
  }
  return `${out.join('\n')}\n`;
}
