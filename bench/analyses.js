// Analyses benchmark: the whole compile (parse, check, decision graphs, analyses, IR) of the
// generated policies of the language-server benchmark, whose routes mix `contains`, token
// bounds, fallbacks, cascades and splits: the case where the analyses' searches cost most.
// Prints a Markdown table (median of 3 runs) with the findings per code. `pnpm bench`.

import { compilePolicy, nodeHost } from '../packages/dsl/dist/index.js';
import { generateLargePolicy } from './policy-generator.js';

const SIZES = [200, 500, 1_000, 2_000];

export function runAnalysesBench() {
  const rows = [];
  for (const lines of SIZES) {
    const text = generateLargePolicy(lines);
    const path = `/virtual/analyses-${lines}.route`;
    const samples = [];
    let codes = {};
    for (let run = 0; run < 3; run++) {
      globalThis.gc?.();
      const start = performance.now();
      const result = compilePolicy(path, nodeHost(new Map([[path, text]])));
      samples.push(performance.now() - start);
      codes = {};
      for (const d of result.diagnostics) codes[d.code] = (codes[d.code] ?? 0) + 1;
    }
    samples.sort((a, b) => a - b);
    const findings = Object.entries(codes)
      .sort()
      .map(([code, n]) => `${n} ${code}`)
      .join(', ');
    rows.push(`| ${lines.toLocaleString('en-US')} | ${Math.round(samples[1]).toLocaleString('en-US')} ms | ${findings || 'none'} |`);
  }
  return ['| lines | compile (median of 3) | findings |', '| ---: | ---: | --- |', ...rows].join('\n');
}

if (import.meta.url === `file://${process.argv[1]}`) console.log(runAnalysesBench());
