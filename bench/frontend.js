// Front-end benchmark: parse + check of generated policies of 1k, 10k and 50k lines.
// Prints a Markdown table (median of several runs after warm-up). `pnpm bench`.

import { checkPolicy, nodeHost, parse } from '../packages/dsl/dist/index.js';
import { generateLargePolicy } from './policy-generator.js';

const SIZES = [1_000, 10_000, 50_000];

function median(values) {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)];
}

function time(fn, runs) {
  const samples = [];
  for (let i = 0; i < runs; i++) {
    // Each sample pays for its own garbage, not for the previous sample's.
    globalThis.gc?.();
    const start = process.hrtime.bigint();
    fn();
    samples.push(Number(process.hrtime.bigint() - start) / 1e6);
  }
  return median(samples);
}

export function runFrontendBench() {
  const rows = [];
  for (const lines of SIZES) {
    const text = generateLargePolicy(lines);
    const actualLines = text.split('\n').length - 1;
    const path = `/virtual/generated-${lines}.route`;
    const host = nodeHost(new Map([[path, text]]));
    const result = checkPolicy(path, host);
    const errors = result.diagnostics.filter((d) => d.severity === 'error');
    if (errors.length > 0) throw new Error(`generated policy has errors: ${errors[0].code} ${errors[0].message}`);
    const runs = lines >= 50_000 ? 5 : 15;
    time(() => checkPolicy(path, host), 3); // warm-up
    const parseMs = time(() => parse(text, path), runs);
    const totalMs = time(() => checkPolicy(path, host), runs);
    const mb = Buffer.byteLength(text) / 1024 / 1024;
    rows.push({
      lines: actualLines,
      kb: Math.round(Buffer.byteLength(text) / 1024),
      parseMs,
      totalMs,
      mbPerS: mb / (totalMs / 1000),
      msPer1k: totalMs / (actualLines / 1000),
    });
  }
  return rows;
}

const fmt = (n, d = 1) => n.toFixed(d);
const rows = runFrontendBench();
console.log(`Front end: parse + check (node ${process.version}, ${process.arch}, median)\n`);
console.log('| lines | size | parse | parse + check | throughput | per 1k lines |');
console.log('| ---: | ---: | ---: | ---: | ---: | ---: |');
for (const r of rows) {
  console.log(
    `| ${r.lines.toLocaleString('en-US')} | ${r.kb.toLocaleString('en-US')} KB | ${fmt(r.parseMs)} ms | ${fmt(r.totalMs)} ms | ${fmt(r.mbPerS, 2)} MB/s | ${fmt(r.msPer1k, 2)} ms |`,
  );
}
